"""Widget identity verification: the company's site vouches for who a visitor is.

A widget visitor's `customer` object comes from their browser, so on its own it proves nothing. The
company's server signs the visitor's identity with the company's identity secret and the page passes
the signature to the widget (`data-user-hash`, or `user_hash` in the JS API):

    user_hash = hex(HMAC-SHA256(key=identity_secret, message=external_id))

or, when the visitor has no external id, over their e-mail address in lower case (trimmed). The hex
digest is compared in constant time. One secret per company (customer profiles are company-wide);
it is stored sealed with KMS and shown only when generated (a rotation replaces it at once).

`require_identity_verification` (on for new companies): only a valid signature links a conversation to
a profile or updates it; anything else leaves the visitor anonymous. Off (companies older than the
setting): a claim may still link, but only fills a profile's empty fields (`customers.match_or_create`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from enum import StrEnum

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.companies.schemas import IdentitySecretOut
from chatapp.conversations.schemas import CustomerIdentity
from chatapp.db.models.core import Company
from chatapp.db.tenancy import ContextRole, tenant_session
from chatapp.errors import Forbidden, NotFound
from chatapp.integrations import secret_box
from chatapp.observability import logger
from chatapp.security import same_text

SECRET_PREFIX = "bzid_"  # noqa: S105 - a prefix that names the kind of secret, not one


class Trust(StrEnum):
    VERIFIED = "verified"  # a valid signature: the identity is the company's word
    CLAIMED = "claimed"  # unsigned (or badly signed) while verification is not required
    REJECTED = "rejected"  # unsigned or badly signed while verification is required: ignored


def secret_context(company_id: uuid.UUID) -> dict[str, str]:
    return {"company": str(company_id), "purpose": "identity"}


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signed_value(identity: CustomerIdentity) -> str | None:
    """What the site signs: the external id, else the lower-cased e-mail address."""
    if identity.external_id:
        return identity.external_id
    if identity.email:
        return identity.email.strip().lower()
    return None


def user_hash(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def _valid(company: Company, identity: CustomerIdentity) -> bool:
    value = signed_value(identity)
    if not identity.user_hash or value is None or not company.identity_secret:
        return False
    try:
        secret = secret_box.open_sealed(company.identity_secret, secret_context(company.id))
    except secret_box.SecretUnreadable:
        logger.error("the identity secret does not open", extra={"company_id": str(company.id)})
        return False
    return same_text(user_hash(secret, value), identity.user_hash.strip().lower())


def trust(company: Company, identity: CustomerIdentity | None) -> Trust | None:
    """How far a widget identity may be believed (None: the visitor gave none)."""
    if identity is None:
        return None
    if _valid(company, identity):
        return Trust.VERIFIED
    if identity.user_hash:
        # Most often the site signs the wrong value or with an old secret: say so to whoever debugs it.
        logger.warning(
            "a widget identity came with a user_hash that does not match",
            extra={"company_id": str(company.id)},
        )
    return Trust.REJECTED if company.require_identity_verification else Trust.CLAIMED


def rotate_secret(principal: Principal) -> IdentitySecretOut:
    """A new identity secret, effective at once (signatures made with the old one stop verifying).
    Returned only here; the company stores it sealed."""
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    if principal.company_id is None:
        raise Forbidden("Act within a company.", code="company_required")
    secret = new_secret()
    with tenant_session(principal.context()) as db:
        company = db.get(Company, principal.company_id, with_for_update=True)
        if company is None or company.deleted_at is not None:
            raise NotFound("No such company.", code="company_not_found")
        company.identity_secret = secret_box.seal(secret, secret_context(company.id))
    return IdentitySecretOut(identity_secret=secret)
