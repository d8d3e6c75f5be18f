"""Effective plan limits and current usage: the one place later features check quotas against.

A company's limits are its plan's `limits`, overridden key by key by its subscription's
`custom_limits`. Usage that is metered (storage) lives in `chatapp_usage_records`, one row per
company and calendar month, written by the platform (tenants only read it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.knowledge import KnowledgeFile
from chatapp.db.tenancy import system_session
from chatapp.errors import LimitExceeded

GIB = 1024**3
LIVE_STATUSES = (SubscriptionStatus.TRIAL, SubscriptionStatus.ACTIVE, SubscriptionStatus.GRACE_PERIOD)


@dataclass(frozen=True)
class EffectiveLimits:
    plan_slug: str
    values: dict[str, Any]

    def number(self, name: str) -> int | None:
        """A numeric limit, or None when the plan sets none (unlimited)."""
        value = self.values.get(name)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    @property
    def storage_bytes(self) -> int | None:
        gigabytes = self.values.get("storageGb")
        return int(float(gigabytes) * GIB) if isinstance(gigabytes, int | float) else None


def effective_limits(db: Session, company_id: uuid.UUID) -> EffectiveLimits:
    """Limits of the company's live subscription; `db` must be in that company's (or a platform) context."""
    row = db.execute(
        select(SubscriptionPlan.slug, SubscriptionPlan.limits, CompanySubscription.custom_limits)
        .join(SubscriptionPlan, SubscriptionPlan.id == CompanySubscription.plan_id)
        .where(CompanySubscription.company_id == company_id, CompanySubscription.status.in_(LIVE_STATUSES))
        .order_by(CompanySubscription.expires_at.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        raise LimitExceeded("This company has no active subscription.", code="no_active_subscription")
    slug, plan_limits, custom_limits = row
    return EffectiveLimits(plan_slug=slug, values={**(plan_limits or {}), **(custom_limits or {})})


def stored_bytes(db: Session, company_id: uuid.UUID) -> int:
    total = db.scalar(
        select(func.coalesce(func.sum(KnowledgeFile.size), 0)).where(KnowledgeFile.company_id == company_id)
    )
    return int(total or 0)


def require_storage_for(
    db: Session, company_id: uuid.UUID, limits: EffectiveLimits, extra_bytes: int
) -> None:
    quota = limits.storage_bytes
    if quota is not None and stored_bytes(db, company_id) + extra_bytes > quota:
        raise LimitExceeded(
            f"This upload would exceed your plan's storage of {limits.values['storageGb']} GB.",
            code="storage_quota_exceeded",
        )


def meter_storage(company_id: uuid.UUID) -> int:
    """Record the company's current stored bytes on this month's usage row (platform metering)."""
    from chatapp.services.usage import meter

    with system_session("measure knowledge storage") as db:
        total = stored_bytes(db, company_id)
    meter(company_id, None, storage_bytes=total)
    return total
