"""Self-service sign-up: a company, its first administrator and a trial, then a sign-in link.

The trial runs on the default public plan: `starter` when it is public and active, else the
cheapest public, active plan. Its length is the plan's `trialDays` limit when set, else
TRIAL_DAYS. Nobody is signed in until the link from the e-mail is opened.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from chatapp.access import rate_limits
from chatapp.audit import entries
from chatapp.companies.schemas import CompanyOut
from chatapp.config import get_settings
from chatapp.db.enums import SubscriptionStatus, UserRole
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.core import Company, User
from chatapp.db.tenancy import system_session
from chatapp.errors import Conflict
from chatapp.identity import magic_links
from chatapp.identity.schemas import (
    COMPANY_SLUG_LENGTH,
    COMPANY_SLUG_PATTERN,
    SignupIn,
    SignupOut,
    SlugAvailabilityOut,
    UserOut,
)
from chatapp.identity.sign_in import Caller, audited_attempt, enforce_sign_in_limits
from chatapp.text import slugify

SIGN_UP = "auth.sign_up"
SIGN_UP_FAILED = "auth.sign_up_failed"
DEFAULT_PLAN_SLUG = "starter"
# Slugs that name parts of the product (sub-domains, console paths) are never given to a company.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "app", "auth", "billing", "buzzi", "console", "docs", "help", "login", "mail"}
    | {"signup", "static", "status", "support", "widget", "www"}
)
_SLUG_CHECKS_PER_MINUTE = 60  # the form checks as people type


def slug_problem(slug: str) -> str | None:
    """Why a slug cannot name a company ("invalid" or "reserved"), or None; taken slugs aside."""
    low, high = COMPANY_SLUG_LENGTH
    if not (low <= len(slug) <= high) or not re.fullmatch(COMPANY_SLUG_PATTERN, slug):
        return "invalid"
    if slug in RESERVED_SLUGS:
        return "reserved"
    return None


def _slug_taken(db: DbSession, slug: str) -> bool:
    return db.scalar(select(Company.id).where(Company.slug == slug)) is not None


def slug_availability(slug: str, caller: Caller) -> SlugAvailabilityOut:
    rate_limits.enforce(
        rate_limits.Limit(f"signup:slug:ip:{caller.ip or 'unknown'}", _SLUG_CHECKS_PER_MINUTE)
    )
    slug = slug.strip().lower()
    problem = slug_problem(slug)
    if problem is None:
        with system_session("check a company slug for sign-up") as db:
            problem = "taken" if _slug_taken(db, slug) else None
    return SlugAvailabilityOut(slug=slug, available=problem is None, reason=problem)


def _free_slug(db: DbSession, name: str) -> str:
    low, high = COMPANY_SLUG_LENGTH
    base = slugify(name, max_length=high - 5)
    if len(base) < low or base in RESERVED_SLUGS:
        base = f"{base}-co" if len(base) >= 1 and base != "item" else "company"
    candidate = base
    while _slug_taken(db, candidate):
        candidate = f"{base}-{secrets.token_hex(2)}"
    return candidate


def default_plan(db: DbSession) -> SubscriptionPlan:
    plan = db.scalar(
        select(SubscriptionPlan)
        .where(SubscriptionPlan.is_public.is_(True), SubscriptionPlan.is_active.is_(True))
        .order_by(
            case((SubscriptionPlan.slug == DEFAULT_PLAN_SLUG, 0), else_=1),
            SubscriptionPlan.base_price,
            SubscriptionPlan.created_at,
        )
        .limit(1)
    )
    if plan is None:
        raise Conflict("Sign-up is closed: no public plan is available.", code="no_public_plan")
    return plan


def _trial_days(plan: SubscriptionPlan) -> int:
    days = (plan.limits or {}).get("trialDays")
    if isinstance(days, int) and not isinstance(days, bool) and days > 0:
        return days
    return get_settings().trial_days


def start_trial(
    db: DbSession, company_id: uuid.UUID, *, notes: str, now: datetime | None = None
) -> tuple[SubscriptionPlan, datetime]:
    """A trial on the default plan for a new company (sign-up, or a master admin creating one).
    Returns the plan and when the trial ends."""
    plan = default_plan(db)
    now = now or datetime.now(UTC)
    trial_ends = now + timedelta(days=_trial_days(plan))
    db.add(
        CompanySubscription(
            company_id=company_id,
            plan_id=plan.id,
            status=SubscriptionStatus.TRIAL,
            trial_ends_at=trial_ends,
            starts_at=now,
            expires_at=trial_ends,
            notes=notes,
        )
    )
    return plan, trial_ends


def _email_taken() -> Conflict:
    return Conflict("An account already uses this e-mail address. Sign in instead.", code="email_taken")


def _slug_conflict() -> Conflict:
    return Conflict("This company address is taken. Choose another.", code="slug_taken")


def sign_up(body: SignupIn, caller: Caller) -> SignupOut:
    email = body.email
    with audited_attempt(caller, "signup", email=email, failure_action=SIGN_UP_FAILED):
        enforce_sign_in_limits(caller, email=email)
        if body.company_slug is not None and slug_problem(body.company_slug) == "reserved":
            raise _slug_conflict()
        try:
            with system_session("self-service sign-up") as db:
                if db.scalar(select(User.id).where(User.email == email)) is not None:
                    raise _email_taken()
                if body.company_slug is not None and _slug_taken(db, body.company_slug):
                    raise _slug_conflict()
                slug = body.company_slug or _free_slug(db, body.company_name)
                company = Company(
                    name=body.company_name.strip(),
                    slug=slug,
                    status="active",
                    require_identity_verification=True,  # new companies: only signed widget identities
                )
                db.add(company)
                db.flush()
                user = User(
                    email=email,
                    name=body.name.strip(),
                    company_id=company.id,
                    role=UserRole.COMPANY_ADMIN,
                    permissions={},
                )
                db.add(user)
                plan, trial_ends = start_trial(db, company.id, notes="self-service sign-up")
                db.flush()
                token = magic_links.add_link_token(db, email)
                entries.record(
                    db,
                    action=SIGN_UP,
                    company_id=company.id,
                    user_id=user.id,
                    resource_type="company",
                    resource_id=company.id,
                    after={"slug": slug, "plan": plan.slug, "trial_ends_at": trial_ends.isoformat()},
                    ip=caller.ip,
                    user_agent=caller.user_agent,
                )
                db.flush()
                result = SignupOut(
                    company=CompanyOut.model_validate(company),
                    user=UserOut.model_validate(user),
                    plan_slug=plan.slug,
                    trial_ends_at=trial_ends,
                )
        except IntegrityError as error:  # a concurrent sign-up took the address or the slug first
            raise (_email_taken() if "email" in str(error.orig) else _slug_conflict()) from None
    magic_links.send_link(email, token, welcome_to=result.company.name)
    return result
