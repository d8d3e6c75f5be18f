"""What every sign-in flow shares: who is calling, sign-in rate limits, audit entries, starting a
console session, and the signed-in user's own sessions (who am I, list, revoke, sign out).

The flows themselves live in `signup`, `magic_links` and `oauth`. They run in the system context
until they know the user (nobody is signed in yet); a session, once issued, is used like any other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as DbSession

from chatapp.access import rate_limits
from chatapp.access.principals import Principal, PrincipalKind
from chatapp.audit import entries
from chatapp.companies import status as company_status
from chatapp.companies.schemas import CompanyOut
from chatapp.config import get_settings
from chatapp.db.models.core import Company, Session, User
from chatapp.db.tenancy import system_session, tenant_session
from chatapp.errors import DomainError, Forbidden, NotFound, Unauthenticated
from chatapp.identity import authentication as identity
from chatapp.identity.schemas import SessionIssuedOut, SessionOut, UserOut, WhoAmIOut
from chatapp.security import token_digest

SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
SIGN_OUT = "auth.sign_out"
SESSION_REVOKED = "auth.session_revoked"


@dataclass(frozen=True)
class Caller:
    """Where a sign-in attempt comes from, for rate limits and the audit trail."""

    ip: str | None
    user_agent: str | None


@dataclass
class Attempt:
    """What a flow has learnt so far, so a refusal is audited with as much as is known."""

    method: str
    email: str | None = None
    user_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None

    def found(self, user: User) -> None:
        self.user_id, self.company_id, self.email = user.id, user.company_id, user.email


@contextmanager
def audited_attempt(
    caller: Caller, method: str, *, email: str | None = None, failure_action: str = SIGN_IN_FAILED
) -> Iterator[Attempt]:
    """Run a sign-in step; if it is refused, write the failure in its own system transaction (the
    step's transaction has rolled back by then) and let the refusal through."""
    attempt = Attempt(method=method, email=email)
    try:
        yield attempt
    except DomainError as error:
        with system_session("audit a refused sign-in") as db:
            entries.record(
                db,
                action=failure_action,
                company_id=attempt.company_id,
                user_id=attempt.user_id,
                resource_type="user" if attempt.user_id else None,
                resource_id=attempt.user_id,
                ip=caller.ip,
                user_agent=caller.user_agent,
                success=False,
                error=error.code,
                details={"method": attempt.method, "email": attempt.email},
            )
        raise


def enforce_sign_in_limits(
    caller: Caller | None = None, *, email: str | None = None, db: DbSession | None = None
) -> None:
    """Sign-in attempts (sign-up, link requests, link verifications, OAuth callbacks) per minute, per
    IP address (of `caller`) and per e-mail address: one budget across the flows, so switching flows
    gains nothing. Callers without a known address share one budget rather than escaping it."""
    settings = get_settings()
    limits = []
    if caller is not None:
        limits.append(
            rate_limits.Limit(
                f"signin:ip:{caller.ip or 'unknown'}",
                settings.signin_rate_per_ip,
                "Too many sign-in attempts from your network address. Please wait a minute and try again.",
            )
        )
    if email is not None:
        limits.append(
            rate_limits.Limit(
                f"signin:email:{email}",
                settings.signin_rate_per_email,
                "Too many sign-in attempts for this e-mail address. Please wait a minute and try again.",
            )
        )
    if limits:
        rate_limits.enforce(*limits, db=db)


def find_user(db: DbSession, email: str) -> tuple[User, str | None] | None:
    """The (not deleted) user with this e-mail address and their company's status, if any."""
    row = db.execute(
        select(User, Company.status)
        .outerjoin(Company, Company.id == User.company_id)
        .where(User.email == email, User.deleted_at.is_(None))
    ).one_or_none()
    return (row[0], row[1]) if row else None


def require_may_sign_in(user: User, status: str | None) -> None:
    """The checks `identity` repeats at every request, made once more before a session exists."""
    now = datetime.now(UTC)
    if (
        not user.is_active
        or user.deleted_at is not None
        or (user.access_expires_at is not None and user.access_expires_at <= now)
    ):
        raise Unauthenticated(
            "This account is deactivated. Ask your company's administrator to restore your access.",
            code="account_inactive",
        )
    if user.company_id is not None:
        # A suspended company's admins may still sign in: the console tells them why.
        company_status.require_console_access(status, None, user.role, reading_status_page=True)


def start_session(
    db: DbSession, user: User, caller: Caller, *, method: str, email_verified: bool, **details: Any
) -> SessionIssuedOut:
    """Sign `user` in inside `db`'s (system) transaction: the IP allowlist, a new console session,
    last_login_at (and email_verified when the flow proved the address), and the audit entry."""
    identity.require_allowed_ip(user.ip_allowlist, caller.ip)
    now = datetime.now(UTC)
    session_id, token, expires = identity.add_session(db, user.id)
    user.last_login_at = now
    if email_verified and user.email_verified is None:
        user.email_verified = now
    entries.record(
        db,
        action=SIGN_IN,
        company_id=user.company_id,
        user_id=user.id,
        resource_type="session",
        resource_id=session_id,
        ip=caller.ip,
        user_agent=caller.user_agent,
        details={"method": method, **details},
    )
    db.flush()
    return SessionIssuedOut(session_token=token, expires_at=expires, user=UserOut.model_validate(user))


# ---------------------------------------------------------------- the signed-in user's own sessions


def _console_user(principal: Principal) -> uuid.UUID:
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        raise Forbidden("Only console users have sign-in sessions.", code="console_users_only")
    return principal.user_id


def _current_session(db: DbSession, user_id: uuid.UUID, token: str) -> Session:
    session = db.scalar(
        select(Session).where(Session.session_token == token_digest(token), Session.user_id == user_id)
    )
    if session is None:  # revoked between authentication and now
        raise Unauthenticated()
    return session


def who_am_i(principal: Principal, token: str) -> WhoAmIOut:
    user_id = _console_user(principal)
    with tenant_session(principal.context()) as db:
        session = _current_session(db, user_id, token)
        user = db.get(User, user_id)
        if user is None:
            raise Unauthenticated()
        company = db.get(Company, user.company_id) if user.company_id else None
        return WhoAmIOut(
            user=UserOut.model_validate(user),
            company=CompanyOut.model_validate(company) if company else None,
            role=user.role,
            permissions=dict(user.permissions or {}),
            session_id=session.id,
            session_expires_at=session.expires,
        )


def list_sessions(principal: Principal, token: str) -> list[SessionOut]:
    user_id = _console_user(principal)
    current = token_digest(token)
    with tenant_session(principal.context()) as db:
        rows = db.scalars(
            select(Session)
            .where(Session.user_id == user_id, Session.expires > datetime.now(UTC))
            .order_by(Session.created_at.desc())
        ).all()
        return [
            SessionOut(
                id=row.id,
                created_at=row.created_at,
                expires_at=row.expires,
                current=row.session_token == current,
            )
            for row in rows
        ]


def revoke_session(principal: Principal, session_id: uuid.UUID, caller: Caller) -> None:
    """End one of the caller's own sessions (the current one too: that signs out)."""
    user_id = _console_user(principal)
    with tenant_session(principal.context()) as db:
        removed = db.scalar(
            delete(Session).where(Session.id == session_id, Session.user_id == user_id).returning(Session.id)
        )
        if removed is None:
            raise NotFound("You have no session with this id.", code="session_not_found")
        _audit_session_end(db, principal, removed, caller, SESSION_REVOKED)


def sign_out(principal: Principal, token: str, caller: Caller) -> None:
    user_id = _console_user(principal)
    with tenant_session(principal.context()) as db:
        removed = db.scalar(
            delete(Session)
            .where(Session.session_token == token_digest(token), Session.user_id == user_id)
            .returning(Session.id)
        )
        if removed is not None:
            _audit_session_end(db, principal, removed, caller, SIGN_OUT)


def _audit_session_end(
    db: DbSession, principal: Principal, session_id: uuid.UUID, caller: Caller, action: str
) -> None:
    entries.record(
        db,
        action=action,
        company_id=principal.company_id,
        user_id=principal.user_id,
        resource_type="session",
        resource_id=session_id,
        ip=caller.ip,
        user_agent=caller.user_agent,
    )
