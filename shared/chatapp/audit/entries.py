"""Explicit audit entries: events the automatic trail (`chatapp.db.audit_trail`, which records what
a signed-in user's session changes) does not see, such as sign-ins, sign-outs and refused attempts.

`record` adds a row to `chatapp_audit_logs` inside the caller's transaction, so an audited change
and its entry commit or roll back together. Failed attempts (a refused sign-in) have no transaction
of their own worth keeping: write them in a fresh `system_session`, after the failure rolled back.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from chatapp.db.audit_trail import normalised_ip
from chatapp.db.models.audit import AuditLog

_USER_AGENT_LENGTH = 500


def record(
    db: Session,
    *,
    action: str,
    company_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    resource_type: str | None = None,
    resource_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    success: bool = True,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry. `before`/`after` describe a change; `details` anything else (JSON values).

    `db` may be in any context that may insert the row: the company's own (console changes) or the
    system context (sign-ins, which may have no tenant yet).
    """
    payload: dict[str, Any] = dict(details or {})
    if before is not None:
        payload["before"] = before
    if after is not None:
        payload["after"] = after
    db.add(
        AuditLog(
            action=action,
            company_id=company_id,
            user_id=user_id,
            resource_type=resource_type,
            resource_id=resource_id,
            details=payload,
            ip_address=normalised_ip(ip),
            user_agent=user_agent[:_USER_AGENT_LENGTH] if user_agent else None,
            success=success,
            error_message=error,
        )
    )
