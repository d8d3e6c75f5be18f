"""Company API keys (console): company admins create, list and revoke them.

A key is a random 256-bit token (`bzk_...`) shown once when it is created; only its first
characters (to tell keys apart) and its SHA-256 digest are stored. Its scopes say what it may do
(`read:conversations`, ...), its rate limit how often (requests per minute, enforced when it
authenticates). Revoking a key deactivates it for good; the row stays for the audit trail.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.db.models.channels import ApiKey
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, tenant_session
from chatapp.errors import Forbidden, NotFound
from chatapp.identity.api_key_schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut
from chatapp.identity.authentication import DEFAULT_API_KEY_RATE_LIMIT
from chatapp.security import TokenKind, display_prefix, new_token, token_digest


def _admin(principal: Principal) -> tuple[uuid.UUID, uuid.UUID]:
    """Keys are managed by a company's admins, signed in as themselves (never by another key)."""
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    if principal.company_id is None or principal.user_id is None:
        raise Forbidden("API keys belong to a company; act within one.", code="company_required")
    return principal.company_id, principal.user_id


def _present(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        key_prefix=key.key_prefix,
        scopes=[str(scope) for scope in key.permissions or []],
        rate_limit=key.rate_limit or DEFAULT_API_KEY_RATE_LIMIT,
        is_active=key.is_active is not False,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        created_by=key.created_by,
        created_at=key.created_at,
    )


def create_key(principal: Principal, data: ApiKeyIn) -> ApiKeyCreatedOut:
    company_id, user_id = _admin(principal)
    token = new_token(TokenKind.API_KEY)
    with tenant_session(principal.context()) as db:
        key = ApiKey(
            company_id=company_id,
            name=data.name,
            key_prefix=display_prefix(token),
            key_hash=token_digest(token),
            permissions=list(data.scopes),
            rate_limit=data.rate_limit,
            expires_at=data.expires_at,
            created_by=user_id,
        )
        db.add(key)
        db.flush()
        db.refresh(key)
        return ApiKeyCreatedOut(**_present(key).model_dump(), key=token)


def list_keys(principal: Principal) -> list[ApiKeyOut]:
    company_id, _ = _admin(principal)
    with tenant_session(principal.context()) as db:
        keys = db.scalars(
            select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.created_at.desc())
        ).all()
        return [_present(key) for key in keys]


def _key(db: Session, key_id: uuid.UUID, company_id: uuid.UUID) -> ApiKey:
    key = owned(db, ApiKey, key_id, lock=True)
    if key is None or key.company_id != company_id:
        raise NotFound("No such API key.", code="api_key_not_found")
    return key


def revoke_key(principal: Principal, key_id: uuid.UUID) -> ApiKeyOut:
    """Takes effect on the key's next request: authentication only accepts active keys."""
    company_id, _ = _admin(principal)
    with tenant_session(principal.context()) as db:
        key = _key(db, key_id, company_id)
        if key.is_active is not False:
            key.is_active = False
            db.flush()
            db.refresh(key)
        return _present(key)
