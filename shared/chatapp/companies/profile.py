"""Companies as their members see them, and the branding, settings and custom domain their admins edit.

A custom domain is proven with a DNS TXT record: `_buzzi-verification.<domain>` must hold the random
value generated when the domain was set. Changing the domain starts over with a new value.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.companies.schemas import (
    CompanyAdminOut,
    CompanyOut,
    CompanyPatch,
    CompanySettingsOut,
    CustomDomainIn,
    CustomDomainOut,
    DnsRecordOut,
)
from chatapp.db.models.core import Company
from chatapp.db.tenancy import ContextRole, system_session, tenant_session
from chatapp.errors import Conflict, Forbidden, InvalidInput, NotFound
from chatapp.integrations import dns_txt

VERIFICATION_PREFIX = "_buzzi-verification"
TXT_VALUE_PREFIX = "buzzi-verification="  # then 32 random hex digits
# The platform's own domains (and anything under them) are never a company's.
PLATFORM_DOMAINS = ("buzzi.ai", "buzzi.local")
# Special-use names (RFC 6761 and friends) that no public DNS will ever answer for a company.
_UNROUTABLE_SUFFIXES = ("localhost", "local", "internal", "invalid", "arpa", "onion", "home.arpa")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def get_company(principal: Principal, company_id: uuid.UUID) -> CompanyOut:
    """A company the caller may see. Another tenant's company is indistinguishable from none."""
    with tenant_session(principal.context()) as db:
        company = db.scalar(select(Company).where(Company.id == company_id, Company.deleted_at.is_(None)))
        if company is None:
            raise NotFound("No such company.", code="company_not_found")
        return CompanyOut.model_validate(company)


def get_own_company(principal: Principal) -> CompanyOut:
    if principal.company_id is None:
        raise NotFound("Your account does not belong to a company.", code="company_not_found")
    return get_company(principal, principal.company_id)


# ---------------------------------------------------------------- branding and settings (company admins)


def _own_company_id(principal: Principal) -> uuid.UUID:
    require_role(principal, (ContextRole.COMPANY_ADMIN,))
    if principal.company_id is None:  # company admins always have one; the type says it may be None
        raise Forbidden("Act within a company.", code="company_required")
    return principal.company_id


def _own_company(db: Session, company_id: uuid.UUID, *, lock: bool = False) -> Company:
    query = select(Company).where(Company.id == company_id, Company.deleted_at.is_(None))
    company = db.scalar(query.with_for_update() if lock else query)
    if company is None:
        raise NotFound("No such company.", code="company_not_found")
    return company


def own_settings(principal: Principal) -> CompanySettingsOut:
    """The settings object, for company admins only (members' company view leaves it out)."""
    company_id = _own_company_id(principal)
    with tenant_session(principal.context()) as db:
        company = _own_company(db, company_id)
        return CompanySettingsOut.model_validate(
            {
                "settings": company.settings or {},
                "require_identity_verification": company.require_identity_verification,
                "identity_secret": company.identity_secret,
            }
        )


def update_own_company(principal: Principal, patch: CompanyPatch) -> CompanyAdminOut:
    """The audit trail of the admin's session records what changed."""
    company_id = _own_company_id(principal)
    with tenant_session(principal.context()) as db:
        company = _own_company(db, company_id, lock=True)
        for field, value in patch.model_dump(exclude_unset=True).items():
            setattr(company, field, value)
        db.flush()
        db.refresh(company)
        return CompanyAdminOut.model_validate(company)


# ---------------------------------------------------------------- custom domain


def normalised_domain(value: str) -> str:
    """A hostname the company could point at Buzzi, lower case, without a trailing dot; non-ASCII
    names become their IDNA (punycode) form. Raises InvalidInput with the reason."""
    domain = value.strip().lower().rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput("This is not a valid domain name.", code="invalid_domain") from None
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()  # an IP address, not a name
    ):
        raise InvalidInput(
            "Enter a domain name such as chat.example.com (letters, digits and hyphens).",
            code="invalid_domain",
        )
    if any(domain == own or domain.endswith("." + own) for own in PLATFORM_DOMAINS):
        raise InvalidInput("Buzzi's own domains cannot be a company's custom domain.", code="domain_reserved")
    if any(domain == suffix or domain.endswith("." + suffix) for suffix in _UNROUTABLE_SUFFIXES):
        raise InvalidInput("Use a domain that exists in public DNS.", code="invalid_domain")
    return domain


def txt_record_name(domain: str) -> str:
    return f"{VERIFICATION_PREFIX}.{domain}"


def _domain_out(company: Company) -> CustomDomainOut:
    if not company.custom_domain or not company.custom_domain_token:
        raise NotFound("No custom domain is set. Set one first.", code="custom_domain_not_set")
    return CustomDomainOut(
        domain=company.custom_domain,
        verified=bool(company.custom_domain_verified),
        verified_at=company.custom_domain_verified_at,
        txt_record=DnsRecordOut(
            name=txt_record_name(company.custom_domain), value=company.custom_domain_token
        ),
    )


def _domain_taken() -> Conflict:
    return Conflict("Another company already uses this domain.", code="domain_taken")


def set_custom_domain(principal: Principal, body: CustomDomainIn) -> CustomDomainOut:
    """Set (or change) the domain and return the TXT record to create. Setting the current domain
    again returns the same record, so a console can show it again."""
    company_id = _own_company_id(principal)
    domain = normalised_domain(body.domain)
    # Claims are many, the proven holder one: only a domain verified elsewhere is taken.
    if _verified_holder(domain) not in (None, company_id):
        raise _domain_taken()
    with tenant_session(principal.context()) as db:
        company = _own_company(db, company_id, lock=True)
        if company.custom_domain != domain or not company.custom_domain_token:
            company.custom_domain = domain
            company.custom_domain_token = TXT_VALUE_PREFIX + secrets.token_hex(16)
            company.custom_domain_verified = False
            company.custom_domain_verified_at = None
            db.flush()
        return _domain_out(company)


def _verified_holder(domain: str) -> uuid.UUID | None:
    with system_session("a verified custom domain is unique across companies") as db:
        holder: uuid.UUID | None = db.scalar(
            select(Company.id).where(Company.custom_domain == domain, Company.custom_domain_verified)
        )
    return holder


def verify_custom_domain(principal: Principal, *, now: datetime | None = None) -> CustomDomainOut:
    """Look the TXT record up (outside any transaction: DNS can be slow) and mark the domain verified
    when it holds the expected value. Verifying an already verified domain checks again."""
    company_id = _own_company_id(principal)
    with tenant_session(principal.context()) as db:
        expected = _domain_out(_own_company(db, company_id))
    name = expected.txt_record.name
    try:
        found = expected.txt_record.value in (value.strip() for value in dns_txt.txt_values(name))
        problem = "" if found else "does not hold the expected value yet"
    except dns_txt.DnsLookupFailed:
        found, problem = False, "could not be looked up (DNS did not answer)"
    if not found:
        raise Conflict(
            f"The TXT record {name} {problem}. Create a TXT record named {name} with the value "
            f"{expected.txt_record.value}, then verify again; DNS changes can take a while to appear.",
            code="domain_not_verified",
        )
    with tenant_session(principal.context()) as db:
        company = _own_company(db, company_id, lock=True)
        # The domain may have been changed while DNS was asked: only the record we checked counts.
        if (
            company.custom_domain != expected.domain
            or company.custom_domain_token != expected.txt_record.value
        ):
            raise Conflict("The custom domain changed meanwhile; verify again.", code="custom_domain_changed")
        if not company.custom_domain_verified:
            if _verified_holder(expected.domain) not in (None, company_id):
                raise _domain_taken()
            company.custom_domain_verified = True
            company.custom_domain_verified_at = now or datetime.now(UTC)
            try:
                db.flush()
            except IntegrityError:  # verified elsewhere between the check and the write
                raise _domain_taken() from None
        return _domain_out(company)


def remove_custom_domain(principal: Principal) -> None:
    company_id = _own_company_id(principal)
    with tenant_session(principal.context()) as db:
        company = _own_company(db, company_id, lock=True)
        if company.custom_domain is None and company.custom_domain_token is None:
            raise NotFound("No custom domain is set.", code="custom_domain_not_set")
        company.custom_domain = None
        company.custom_domain_token = None
        company.custom_domain_verified = False
        company.custom_domain_verified_at = None
