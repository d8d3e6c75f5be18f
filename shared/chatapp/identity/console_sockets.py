"""Console sockets and the console session behind them: a socket opens only while the sign-in that
asked for its ticket is still good, checked as every console request is (session alive, user active,
`access_expires_at`, `ip_allowlist`, the company's status)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select

from chatapp.companies import status as company_status
from chatapp.db.models.core import Company, Session, User
from chatapp.db.tenancy import system_session
from chatapp.errors import Forbidden
from chatapp.identity.authentication import ip_allowed


def still_signed_in(session_id: uuid.UUID, user_id: uuid.UUID, client_ip: str | None) -> bool:
    now = datetime.now(UTC)
    with system_session("check a console socket's session") as db:
        row = db.execute(
            select(User.role, User.ip_allowlist, Company.status, Company.status_reason)
            .join(Session, Session.user_id == User.id)
            .join(Company, Company.id == User.company_id)
            .where(
                Session.id == session_id,
                User.id == user_id,
                Session.expires > now,
                User.is_active.is_(True),
                User.deleted_at.is_(None),
                or_(User.access_expires_at.is_(None), User.access_expires_at > now),
            )
        ).one_or_none()
    if row is None or not ip_allowed(row.ip_allowlist, client_ip):
        return False
    try:
        company_status.require_console_access(
            row.status, row.status_reason, row.role, reading_status_page=False
        )
    except Forbidden:
        return False
    return True
