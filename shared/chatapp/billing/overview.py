"""A company admin's view of their billing: subscription, usage against every limit, plan catalogue.

Reads only: the company's subscription rows are written by the platform (see
`subscription_lifecycle` and the master admin's billing API), never by the company.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.billing.quotas import (
    GIB,
    LIMIT_UNITS,
    LIVE_STATUSES,
    EffectiveLimits,
    agents_in_use,
    attachment_bytes_in_use,
    categories_in_use,
    effective_limits,
    seats_in_use,
    stored_bytes,
)
from chatapp.billing.schemas import CatalogPlanOut, CompanySubscriptionOut, LimitUsageOut, UsageOut
from chatapp.billing.usage import usage_period
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan, UsageRecord
from chatapp.db.models.core import Company
from chatapp.db.tenancy import tenant_session
from chatapp.errors import InvalidInput, LimitExceeded, NotFound


def _company(principal: Principal) -> uuid.UUID:
    require_permission(principal, "billing", "read")
    if principal.company_id is None:
        raise InvalidInput("Billing belongs to a company; act within one.", code="company_required")
    return principal.company_id


def subscription(principal: Principal) -> CompanySubscriptionOut:
    """The live subscription, or else the latest one (so a lapsed company sees that it lapsed)."""
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        row = db.execute(
            select(CompanySubscription, SubscriptionPlan, Company.status, Company.status_reason)
            .join(SubscriptionPlan, SubscriptionPlan.id == CompanySubscription.plan_id)
            .join(Company, Company.id == CompanySubscription.company_id)
            .where(CompanySubscription.company_id == company_id)
            .order_by(
                case((CompanySubscription.status.in_(LIVE_STATUSES), 0), else_=1),
                CompanySubscription.expires_at.desc(),
            )
            .limit(1)
        ).one_or_none()
        if row is None:
            raise NotFound("This company has no subscription yet.", code="no_subscription")
        current, plan, status, reason = row
        return CompanySubscriptionOut(
            plan=plan.slug,
            plan_name=plan.name,
            status=current.status.value,
            price=current.custom_price if current.custom_price is not None else plan.base_price,
            setup_fee=current.custom_setup_fee if current.custom_setup_fee is not None else plan.setup_fee,
            currency=plan.currency,
            billing_cycle=plan.billing_cycle,
            trial_ends_at=current.trial_ends_at,
            starts_at=current.starts_at,
            expires_at=current.expires_at,
            grace_period_ends_at=current.grace_period_ends_at,
            auto_renew=current.auto_renew,
            company_status=status,
            company_status_reason=reason,
        )


def usage(principal: Principal, now: datetime | None = None) -> UsageOut:
    company_id = _company(principal)
    start, end = usage_period(now)
    with tenant_session(principal.context()) as db:
        limits = effective_limits(db, company_id)
        metered = db.execute(
            select(
                func.coalesce(func.sum(UsageRecord.message_count), 0),
                func.coalesce(func.sum(UsageRecord.ai_response_count), 0),
                func.coalesce(func.sum(UsageRecord.token_count), 0),
                func.coalesce(func.sum(UsageRecord.api_calls), 0),
                func.coalesce(func.sum(UsageRecord.estimated_cost), 0),
            ).where(UsageRecord.company_id == company_id, UsageRecord.period_start == start)
        ).one()
        stored = stored_bytes(db, company_id)
        counts: dict[str, float | None] = {
            "messagesPerMonth": int(metered[0]),
            "agentCount": agents_in_use(db, company_id),
            "supportSeats": seats_in_use(db, company_id),
            "knowledgeCategories": categories_in_use(db, company_id),
            "storageGb": round(stored / GIB, 6),
            "attachmentStorageGb": round(attachment_bytes_in_use(db, company_id) / GIB, 6),
            "maxFileSize": None,
            "apiRateLimit": None,
        }
    return UsageOut(
        plan=limits.plan_slug,
        plan_name=limits.plan_name,
        period_start=start,
        period_end=end,
        limits=[_against(limits, name, used) for name, used in counts.items()],
        features=list(limits.features),
        stored_bytes=stored,
        messages=int(metered[0]),
        ai_responses=int(metered[1]),
        tokens=int(metered[2]),
        api_calls=int(metered[3]),
        estimated_cost=Decimal(metered[4]),
    )


def _against(limits: EffectiveLimits, name: str, used: float | None) -> LimitUsageOut:
    value = limits.values.get(name)
    allowed = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    row = LimitUsageOut(
        limit=name,
        unit=LIMIT_UNITS[name],
        allowed=allowed,
        used=used,
        remaining=None,
        percent_used=None,
        reached=False,
    )
    if allowed is None or used is None:
        return row
    return row.model_copy(
        update={
            "remaining": max(allowed - used, 0),
            "percent_used": round(100 * used / allowed, 1) if allowed else None,
            "reached": used >= allowed,
        }
    )


def plans(principal: Principal) -> list[CatalogPlanOut]:
    """The public, active plans, cheapest first; the company's own plan is marked `current`."""
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        current = _current_plan(db, company_id)
        rows = db.scalars(
            select(SubscriptionPlan)
            .where(SubscriptionPlan.is_public.is_(True), SubscriptionPlan.is_active.is_(True))
            .order_by(SubscriptionPlan.base_price, SubscriptionPlan.slug)
        ).all()
        return [
            CatalogPlanOut(
                slug=plan.slug,
                name=plan.name,
                description=plan.description,
                base_price=plan.base_price,
                setup_fee=plan.setup_fee,
                currency=plan.currency,
                billing_cycle=plan.billing_cycle,
                limits=plan.limits or {},
                features=list(plan.features or []),
                current=plan.slug == current,
            )
            for plan in rows
        ]


def _current_plan(db: Session, company_id: uuid.UUID) -> str | None:
    try:
        return effective_limits(db, company_id).plan_slug
    except LimitExceeded:  # no live subscription: no plan is current
        return None
