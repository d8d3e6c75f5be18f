"""Effective plan limits and current usage: the one place features check quotas against.

A company's limits are its plan's `limits`, overridden key by key by its subscription's
`custom_limits`; its features are its plan's `features`. Usage that is metered (storage) lives in
`chatapp_usage_records`, one row per company and calendar month, written by the platform (tenants
only read it).

Every refusal is raised by `require_room`/`require_feature`, so each one says the same things: which
limit, what the plan allows, what is used, and the public plans that would lift it (`upgrade`), both
in the message and as machine-readable details.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from chatapp.db.enums import InvitationStatus, SubscriptionStatus
from chatapp.db.models.agents import Agent
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.conversations import Conversation
from chatapp.db.models.core import Company, User
from chatapp.db.models.knowledge import KnowledgeCategory, KnowledgeFile
from chatapp.db.models.team import Invitation
from chatapp.errors import LimitExceeded

GIB = 1024**3
# Statuses that may use the product: past_due keeps the service running while a payment is awaited.
LIVE_STATUSES = (
    SubscriptionStatus.TRIAL,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.GRACE_PERIOD,
)


# What each limit counts, in the words refusals use.
LIMIT_UNITS = {
    "messagesPerMonth": "messages a month",
    "agentCount": "agents",
    "supportSeats": "seats",
    "storageGb": "GB of knowledge storage",
    "attachmentStorageGb": "GB of conversation attachments",
    "maxFileSize": "bytes per file",
    "apiRateLimit": "API requests a minute",
    "knowledgeCategories": "knowledge categories",
    "testRunsPerMonth": "test runs a month",
    "webSourcePages": "pages from web sources",
}


@dataclass(frozen=True)
class EffectiveLimits:
    plan_slug: str
    values: dict[str, Any]
    plan_name: str = ""
    features: tuple[str, ...] = ()

    def number(self, name: str) -> int | None:
        """A numeric limit, or None when the plan sets none (unlimited)."""
        value = self.values.get(name)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def storage_bytes(self) -> int | None:
        gigabytes = self.values.get("storageGb")
        return int(float(gigabytes) * GIB) if isinstance(gigabytes, int | float) else None


def _live_subscription(company_id: Any) -> Any:
    """The company's newest live subscription, as a lateral subquery (plan and overrides)."""
    return (
        select(CompanySubscription.plan_id, CompanySubscription.custom_limits)
        .where(CompanySubscription.company_id == company_id, CompanySubscription.status.in_(LIVE_STATUSES))
        .order_by(CompanySubscription.expires_at.desc())
        .limit(1)
        .lateral()
    )


def no_active_subscription() -> LimitExceeded:
    return LimitExceeded("This company has no active subscription.", code="no_active_subscription")


def _limits_of(
    slug: str | None, plan_limits: Any, custom_limits: Any, name: str, features: Any
) -> EffectiveLimits:
    if slug is None:
        raise no_active_subscription()
    return EffectiveLimits(
        plan_slug=slug,
        values={**(plan_limits or {}), **(custom_limits or {})},
        plan_name=name,
        features=tuple(str(feature) for feature in features or ()),
    )


def effective_limits(db: Session, company_id: uuid.UUID) -> EffectiveLimits:
    """Limits of the company's live subscription; `db` must be in that company's (or a platform) context."""
    live = _live_subscription(company_id)
    row = db.execute(
        select(
            SubscriptionPlan.slug,
            SubscriptionPlan.limits,
            live.c.custom_limits,
            SubscriptionPlan.name,
            SubscriptionPlan.features,
        ).join(live, SubscriptionPlan.id == live.c.plan_id)
    ).one_or_none()
    return _limits_of(*row) if row is not None else _limits_of(None, None, None, "", None)


def status_and_limits(db: Session, company_id: uuid.UUID) -> tuple[str | None, EffectiveLimits | None]:
    """The company's status and, if it has a live subscription, its limits: one query, for the
    checks every customer message passes."""
    live = _live_subscription(Company.id)
    row = db.execute(
        select(
            Company.status,
            SubscriptionPlan.slug,
            SubscriptionPlan.limits,
            live.c.custom_limits,
            SubscriptionPlan.name,
            SubscriptionPlan.features,
        )
        .select_from(Company)
        .outerjoin(live, true())
        .outerjoin(SubscriptionPlan, SubscriptionPlan.id == live.c.plan_id)
        .where(Company.id == company_id)
    ).one_or_none()
    if row is None:
        return None, None
    status, slug, *plan = row
    return status, _limits_of(slug, *plan) if slug is not None else None


def _amount(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def upgrade_options(
    db: Session, limits: EffectiveLimits, *, limit: str | None = None, feature: str | None = None
) -> list[dict[str, Any]]:
    """Public, active plans (cheapest first, at most three) that allow more of `limit` than the
    company has now (a plan without the key is unlimited), or that include `feature`."""
    current = _amount(limits.values.get(limit)) if limit else None
    options = []
    plans = (
        select(
            SubscriptionPlan.slug, SubscriptionPlan.name, SubscriptionPlan.limits, SubscriptionPlan.features
        )
        .where(
            SubscriptionPlan.is_public.is_(True),
            SubscriptionPlan.is_active.is_(True),
            SubscriptionPlan.slug != limits.plan_slug,
        )
        .order_by(SubscriptionPlan.base_price, SubscriptionPlan.slug)
    )
    for slug, name, plan_limits, features in db.execute(plans):
        if limit is not None:
            allows = (plan_limits or {}).get(limit)
            if allows is not None and (current is None or (_amount(allows) or 0) <= current):
                continue
            options.append({"plan": slug, "name": name, "allows": allows})
        elif feature is not None and feature in (features or []):
            options.append({"plan": slug, "name": name, "allows": feature})
    return options[:3]


def _upgrade_sentence(options: list[dict[str, Any]], unit: str | None) -> str:
    if not options:
        return " Contact us to upgrade to a plan that allows more."
    best = options[0]
    if unit is None:
        return f" You can upgrade to {best['name']} to get it."
    amount = "unlimited" if best["allows"] is None else f"{best['allows']:,}"
    return f" You can upgrade to {best['name']} ({amount} {unit})."


def require_room(
    db: Session,
    limits: EffectiveLimits,
    name: str,
    *,
    used: int,
    adding: int = 1,
    code: str,
    what: str,
    scale: int = 1,
) -> None:
    """Refuse when `used + adding` would pass limit `name`: the boundary itself is allowed.
    `scale` converts the limit to the unit of `used` (storageGb is counted in bytes).
    `what` starts the message, for example "Your plan allows 3 agents."
    """
    allowed = _amount(limits.values.get(name))
    if allowed is None or used + adding <= allowed * scale:
        return
    options = upgrade_options(db, limits, limit=name)
    raise LimitExceeded(
        what + _upgrade_sentence(options, LIMIT_UNITS.get(name)),
        code=code,
        details=_details(limits, name, limits.values.get(name), round(used / scale, 6), options),
    )


def require_feature(db: Session, limits: EffectiveLimits, feature: str, *, code: str) -> None:
    if feature in limits.features:
        return
    options = upgrade_options(db, limits, feature=feature)
    raise LimitExceeded(
        f"Your plan ({limits.plan_name or limits.plan_slug}) does not include {feature}."
        + _upgrade_sentence(options, None),
        code=code,
        details=_details(limits, "features", list(limits.features), feature, options),
    )


def _details(
    limits: EffectiveLimits, name: str, allowed: Any, used: Any, options: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"limit": name, "allowed": allowed, "used": used, "plan": limits.plan_slug, "upgrade": options}


# What counts against each count limit; enforcement and the usage page both read these.


def agents_in_use(db: Session, company_id: uuid.UUID) -> int:
    return int(
        db.scalar(
            select(func.count(Agent.id)).where(Agent.company_id == company_id, Agent.deleted_at.is_(None))
        )
        or 0
    )


def seats_in_use(db: Session, company_id: uuid.UUID) -> int:
    """Active members and pending, unexpired invitations: an invitation holds its seat."""
    members = db.scalar(
        select(func.count(User.id)).where(
            User.company_id == company_id, User.is_active.is_(True), User.deleted_at.is_(None)
        )
    )
    pending = db.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.company_id == company_id,
            Invitation.status == InvitationStatus.PENDING,
            Invitation.expires_at > datetime.now(UTC),
        )
    )
    return int(members or 0) + int(pending or 0)


def categories_in_use(db: Session, company_id: uuid.UUID) -> int:
    return int(
        db.scalar(select(func.count(KnowledgeCategory.id)).where(KnowledgeCategory.company_id == company_id))
        or 0
    )


def stored_bytes(db: Session, company_id: uuid.UUID) -> int:
    total = db.scalar(
        select(func.coalesce(func.sum(KnowledgeFile.size), 0)).where(KnowledgeFile.company_id == company_id)
    )
    return int(total or 0)


def attachment_bytes_in_use(db: Session, company_id: uuid.UUID) -> int:
    """What the company's conversations were given to upload (their signed ticket sizes)."""
    total = db.scalar(
        select(func.coalesce(func.sum(Conversation.attachment_bytes), 0)).where(
            Conversation.company_id == company_id
        )
    )
    return int(total or 0)


def require_attachment_storage_for(
    db: Session, company_id: uuid.UUID, limits: EffectiveLimits, extra_bytes: int
) -> None:
    if _amount(limits.values.get("attachmentStorageGb")) is None:
        return
    require_room(
        db,
        limits,
        "attachmentStorageGb",
        used=attachment_bytes_in_use(db, company_id),
        adding=extra_bytes,
        scale=GIB,
        code="attachment_storage_exceeded",
        what="This chat cannot take more files: the company's storage for conversation files is full.",
    )


def require_storage_for(
    db: Session, company_id: uuid.UUID, limits: EffectiveLimits, extra_bytes: int
) -> None:
    quota = limits.storage_bytes
    if quota is None:
        return
    require_room(
        db,
        limits,
        "storageGb",
        used=stored_bytes(db, company_id),
        adding=extra_bytes,
        scale=GIB,
        code="storage_quota_exceeded",
        what=f"This upload would exceed your plan's storage of {limits.values['storageGb']} GB.",
    )
