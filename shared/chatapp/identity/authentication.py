"""Authentication: resolve a bearer token to a principal, and issue console sessions.

Look-ups run in the system context because, until they finish, nobody knows which tenant
is asking. They match on token digests only and return a principal, never rows.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session as DbSession

from chatapp.access import rate_limits
from chatapp.access.principals import Principal, PrincipalKind
from chatapp.billing import usage
from chatapp.billing.quotas import effective_limits, upgrade_options
from chatapp.companies import status as company_status
from chatapp.config import get_settings
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.core import Company, Session, User
from chatapp.db.tenancy import ContextRole, system_session
from chatapp.errors import Forbidden, NotFound, RateLimited, Unauthenticated
from chatapp.security import TokenKind, new_token, token_digest, token_kind

# "Last used" is for people deciding which keys to revoke; a write per request would cost more.
_LAST_USED_PRECISION = timedelta(minutes=1)
DEFAULT_API_KEY_RATE_LIMIT = 100  # requests per minute, the design's default


PLAN_RATE_LIMITED = "api_rate_limit_reached"


def ip_allowed(allowlist: list[Any] | None, client_ip: str | None) -> bool:
    """A user's `ip_allowlist` holds addresses and CIDR networks; empty means any address.
    An unknown caller address never matches a non-empty list, and malformed entries match nothing."""
    if not allowlist:
        return True
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for entry in allowlist:
        try:
            if address in ipaddress.ip_network(str(entry).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def require_allowed_ip(allowlist: list[Any] | None, client_ip: str | None) -> None:
    if not ip_allowed(allowlist, client_ip):
        raise Forbidden("Your account may not be used from this network address.", code="ip_not_allowed")


def authenticate_bearer(
    token: str, *, client_ip: str | None = None, reading_status_page: bool = False
) -> Principal:
    """`client_ip` is the caller's address, checked against the user's IP allowlist (sessions only).
    `reading_status_page`: the request only reads a page a suspended company's admins may still see."""
    kind = token_kind(token)
    if kind is TokenKind.SESSION:
        return _authenticate_session(token, client_ip, reading_status_page)
    if kind is TokenKind.API_KEY:
        return _authenticate_api_key(token)
    raise Unauthenticated()


def _authenticate_session(token: str, client_ip: str | None, reading_status_page: bool) -> Principal:
    now = datetime.now(UTC)
    ttl = timedelta(hours=get_settings().session_ttl_hours)
    with system_session("authenticate console session token") as db:
        row = db.execute(
            select(User, Company.status, Company.status_reason, Session.id, Session.expires)
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
        user, status, reason, session_id, expires = row
        if user.company_id is not None:
            company_status.require_console_access(
                status, reason, user.role, reading_status_page=reading_status_page
            )
        require_allowed_ip(user.ip_allowlist, client_ip)
        # Sliding renewal: at most one write, and only once less than half the lifetime remains.
        if expires - now < ttl / 2:
            db.execute(update(Session).where(Session.id == session_id).values(expires=now + ttl))
    return Principal(
        kind=PrincipalKind.USER,
        id=user.id,
        role=ContextRole(user.role.value),
        company_id=user.company_id,
        permissions=dict(user.permissions or {}),
        email=user.email,
        session_id=session_id,
    )


def _authenticate_api_key(token: str) -> Principal:
    now = datetime.now(UTC)
    with system_session("authenticate company API key") as db:
        row = db.execute(
            select(ApiKey, Company.status, Company.status_reason)
            .join(Company, Company.id == ApiKey.company_id)
            .where(
                ApiKey.key_hash == token_digest(token),
                ApiKey.is_active.is_(True),
                or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            )
        ).one_or_none()
        if row is None:
            raise Unauthenticated()
        key, status, reason = row
        if status != company_status.ACTIVE:
            raise company_status.console_refusal(status, reason)
        # Every request counts against the key's own per-minute limit; a refusal rolls back this
        # transaction (no "last used", no metered call), so a blocked key stays blocked till the minute ends.
        per_minute = key.rate_limit or DEFAULT_API_KEY_RATE_LIMIT
        try:
            rate_limits.enforce(
                rate_limits.Limit(
                    f"api:key:{key.id}", per_minute, f"This API key may make {per_minute} requests a minute."
                ),
                *_plan_rate_limit(db, key.company_id),
                db=db,
            )
        except RateLimited as refusal:
            if refusal.code != PLAN_RATE_LIMITED:
                raise
            raise _with_upgrade_path(db, key.company_id, refusal) from None
        if key.last_used_at is None or now - key.last_used_at > _LAST_USED_PRECISION:
            db.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        usage.record(db, key.company_id, None, api_calls=1)
    return Principal(
        kind=PrincipalKind.API_KEY,
        id=key.id,
        role=ContextRole.COMPANY_SERVICE,
        company_id=key.company_id,
        permissions={"scopes": list(key.permissions or [])},
    )


def _plan_rate_limit(db: DbSession, company_id: uuid.UUID) -> list[rate_limits.Limit]:
    """The plan's `apiRateLimit`: requests a minute across all of the company's keys together."""
    per_minute = effective_limits(db, company_id).number("apiRateLimit")
    if per_minute is None:
        return []
    message = f"Your plan allows {per_minute} API requests a minute across all keys."
    return [rate_limits.Limit(f"api:company:{company_id}", per_minute, message, code=PLAN_RATE_LIMITED)]


def _with_upgrade_path(db: DbSession, company_id: uuid.UUID, refusal: RateLimited) -> RateLimited:
    """The plan's refusal names the plans that allow more (looked up only when refusing)."""
    limits = effective_limits(db, company_id)
    options = upgrade_options(db, limits, limit="apiRateLimit")
    best = options[0] if options else None
    upgrade = f" The {best['name']} plan allows {best['allows'] or 'unlimited'}." if best else ""
    details = {
        "limit": "apiRateLimit",
        "allowed": limits.number("apiRateLimit"),
        "plan": limits.plan_slug,
        "upgrade": options,
    }
    return RateLimited(
        refusal.message + upgrade, code=refusal.code, retry_after=refusal.retry_after, details=details
    )


def add_session(
    db: DbSession, user_id: uuid.UUID, *, ttl: timedelta | None = None
) -> tuple[uuid.UUID, str, datetime]:
    """Add a console session row inside `db`'s transaction. Returns (session id, token, expiry);
    only the token's digest is stored, so the token exists nowhere else once returned."""
    ttl = ttl or timedelta(hours=get_settings().session_ttl_hours)
    token = new_token(TokenKind.SESSION)
    expires = datetime.now(UTC) + ttl
    session = Session(session_token=token_digest(token), user_id=user_id, expires=expires)
    db.add(session)
    db.flush()
    return session.id, token, expires


def issue_session(user_id: uuid.UUID, *, ttl: timedelta | None = None) -> tuple[str, datetime]:
    """Create a console session for an existing, active user. Returns (token, expiry)."""
    with system_session("issue console session") as db:
        user = db.get(User, user_id)
        if user is None or not user.is_active or user.deleted_at is not None:
            raise NotFound("No active user with this id.", code="user_not_found")
        _, token, expires = add_session(db, user_id, ttl=ttl)
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
