"""The tenant-context door: every query the application runs goes through here.

`tenant_session` opens a transaction, sets the three row-level-security settings for that
transaction only (`set_config(..., true)`), and yields an ORM session. When the block ends
the transaction commits (or rolls back) and the settings vanish with it, so a pooled
connection never carries one tenant's context into the next request.

`system_session` is the narrow, explicit exception for work that spans tenants: schedulers,
rollups, and the authentication look-ups that find out who a caller is. Every use names why.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.db.audit_trail import attach
from chatapp.db.engine import app_sessionmaker
from chatapp.db.ownership import TENANT_COMPANY
from chatapp.observability import logger


class ContextRole(StrEnum):
    MASTER_ADMIN = "master_admin"
    COMPANY_ADMIN = "company_admin"
    SUPPORT_AGENT = "support_agent"
    # A company acting without a console user: API keys, widget visitors, channel webhooks.
    COMPANY_SERVICE = "company_service"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class TenantContext:
    role: ContextRole
    company_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.role is ContextRole.SYSTEM:
            raise ValueError("the system context is opened with system_session(), not a TenantContext")
        if self.role is not ContextRole.MASTER_ADMIN and self.company_id is None:
            raise ValueError(f"a {self.role} context needs a company")

    @classmethod
    def company_service(cls, company_id: uuid.UUID) -> TenantContext:
        return cls(role=ContextRole.COMPANY_SERVICE, company_id=company_id)


_SET_CONTEXT = text(
    "SELECT set_config('app.current_company_id', :company_id, true),"
    " set_config('app.current_user_id', :user_id, true),"
    " set_config('app.user_role', :role, true)"
)


@contextmanager
def _session_with(
    role: ContextRole, company_id: uuid.UUID | None, user_id: uuid.UUID | None
) -> Iterator[Session]:
    with app_sessionmaker()() as session, session.begin():
        session.info[TENANT_COMPANY] = company_id if role is not ContextRole.MASTER_ADMIN else None
        session.execute(
            _SET_CONTEXT,
            {
                "company_id": str(company_id) if company_id else "",
                "user_id": str(user_id) if user_id else "",
                "role": role.value,
            },
        )
        yield session


@contextmanager
def tenant_session(context: TenantContext) -> Iterator[Session]:
    """A transaction that sees only what `context` may see."""
    with _session_with(context.role, context.company_id, context.user_id) as session:
        if context.user_id is not None:  # a signed-in console user: their changes are audited
            attach(session, user_id=context.user_id, company_id=context.company_id)
        yield session


def switch_context(session: Session, context: TenantContext) -> None:
    """Re-set the row-level-security settings inside an open transaction of the same company: the
    live inbox reads what each recipient may see, each under their own rules, in one transaction."""
    if context.company_id != session.info.get(TENANT_COMPANY):
        raise ValueError("a transaction may only switch to another context of its own company")
    session.execute(
        _SET_CONTEXT,
        {
            "company_id": str(context.company_id),
            "user_id": str(context.user_id) if context.user_id else "",
            "role": context.role.value,
        },
    )


@contextmanager
def system_session(reason: str) -> Iterator[Session]:
    """A transaction that spans tenants. Use narrowly; `reason` is logged."""
    logger.debug("system context opened", extra={"reason": reason})
    with _session_with(ContextRole.SYSTEM, None, None) as session:
        yield session
