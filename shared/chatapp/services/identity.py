"""Authentication: resolve a bearer token to a principal, and issue console sessions.

Look-ups run in the system context because, until they finish, nobody knows which tenant
is asking. They match on token digests only and return a principal, never rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from chatapp.config import get_settings
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.core import Company, Session, User
from chatapp.db.tenancy import ContextRole, system_session
from chatapp.errors import Forbidden, NotFound, Unauthenticated
from chatapp.security import TokenKind, new_token, token_digest, token_kind
from chatapp.services.principals import Principal, PrincipalKind

_ACTIVE_COMPANY = "active"
# "Last used" is for people deciding which keys to revoke; a write per request would cost more.
_LAST_USED_PRECISION = timedelta(minutes=1)


def _require_active(company_status: str | None) -> None:
    if company_status != _ACTIVE_COMPANY:
        raise Forbidden("This company's account is not active.", code="company_inactive")


def authenticate_bearer(token: str) -> Principal:
    kind = token_kind(token)
    if kind is TokenKind.SESSION:
        return _authenticate_session(token)
    if kind is TokenKind.API_KEY:
        return _authenticate_api_key(token)
    raise Unauthenticated()


def _authenticate_session(token: str) -> Principal:
    now = datetime.now(UTC)
    with system_session("authenticate console session token") as db:
        row = db.execute(
            select(User, Company.status)
            .join(Session, Session.user_id == User.id)
            .outerjoin(Company, Company.id == User.company_id)
            .where(
                Session.session_token == token_digest(token),
                Session.expires > now,
                User.is_active.is_(True),
                User.deleted_at.is_(None),
                or_(User.access_expires_at.is_(None), User.access_expires_at > now),
            )
        ).one_or_none()
    if row is None:
        raise Unauthenticated()
    user, company_status = row
    if user.company_id is not None:
        _require_active(company_status)
    return Principal(
        kind=PrincipalKind.USER,
        id=user.id,
        role=ContextRole(user.role.value),
        company_id=user.company_id,
        permissions=dict(user.permissions or {}),
        email=user.email,
    )


def _authenticate_api_key(token: str) -> Principal:
    now = datetime.now(UTC)
    with system_session("authenticate company API key") as db:
        row = db.execute(
            select(ApiKey, Company.status)
            .join(Company, Company.id == ApiKey.company_id)
            .where(
                ApiKey.key_hash == token_digest(token),
                ApiKey.is_active.is_(True),
                or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
        ).one_or_none()
        if row is None:
            raise Unauthenticated()
        key, company_status = row
        if key.last_used_at is None or now - key.last_used_at > _LAST_USED_PRECISION:
            db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    _require_active(company_status)
    return Principal(
        kind=PrincipalKind.API_KEY,
        id=key.id,
        role=ContextRole.COMPANY_SERVICE,
        company_id=key.company_id,
        permissions={"scopes": list(key.permissions or [])},
    )


def issue_session(user_id: uuid.UUID, *, ttl: timedelta | None = None) -> tuple[str, datetime]:
    """Create a console session for an existing, active user. Returns (token, expiry)."""
    ttl = ttl or timedelta(hours=get_settings().session_ttl_hours)
    token = new_token(TokenKind.SESSION)
    expires = datetime.now(UTC) + ttl
    with system_session("issue console session") as db:
        user = db.get(User, user_id)
        if user is None or not user.is_active or user.deleted_at is not None:
            raise NotFound("No active user with this id.", code="user_not_found")
        db.add(Session(session_token=token_digest(token), user_id=user_id, expires=expires))
        db.execute(update(User).where(User.id == user_id).values(last_login_at=datetime.now(UTC)))
    return token, expires


def issue_dev_session(email: str) -> tuple[str, datetime]:
    """Development only: a session for a seeded user, before the sign-in flows exist."""
    settings = get_settings()
    if not (settings.is_local or settings.allow_dev_sessions):
        raise Forbidden("Development sessions are disabled here.", code="dev_sessions_disabled")
    with system_session("find user for development session") as db:
        user_id = db.scalar(select(User.id).where(User.email == email.lower()))
    if user_id is None:
        raise NotFound(f"No user with e-mail {email}.", code="user_not_found")
    return issue_session(user_id)
