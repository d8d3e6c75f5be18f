"""Reading the audit log: company admins page through their own company's entries, newest first."""

from __future__ import annotations

from sqlalchemy import select

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.audit.schemas import AuditEntryOut, AuditPageOut
from chatapp.db import keyset
from chatapp.db.models.audit import AuditLog
from chatapp.db.tenancy import ContextRole, tenant_session


def page(
    principal: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
) -> AuditPageOut:
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    with tenant_session(principal.context()) as db:
        # Company rows only: the platform's own entries (no company) are not a tenant's to read.
        query = select(AuditLog).where(AuditLog.company_id == principal.company_id)
        if action:
            query = query.where(AuditLog.action == action)
        if resource_type:
            query = query.where(AuditLog.resource_type == resource_type)
        if cursor:
            query = query.where(keyset.older_than(AuditLog.created_at, AuditLog.id, cursor))
        rows = db.scalars(
            query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit + 1)
        ).all()
        items = [
            AuditEntryOut.model_validate(
                {**{k: getattr(r, k) for k in AuditEntryOut.model_fields}, "ip_address": _text(r.ip_address)}
            )
            for r in rows[:limit]
        ]
        last = rows[limit - 1] if len(rows) > limit else None
        return AuditPageOut(
            items=items, next_cursor=keyset.encode(last.created_at, last.id) if last else None
        )


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
