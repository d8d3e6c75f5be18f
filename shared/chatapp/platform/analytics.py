"""The master admin's platform figures: companies, monthly recurring revenue, this month's usage, and
every company's rollups over a date range.

MRR counts live paying subscriptions (active, past_due, grace_period: trials pay nothing yet) of
companies that are not deleted, at the custom price when one is set, else the plan's base price,
divided by the months the billing cycle covers (quarterly 3, semi_annual 6, annual 12; monthly and
anything unrecognised 1). Currencies are never mixed: one figure per currency.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import case, desc, func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.analytics.queries import Scope, checked_range, summed_columns, totals_from
from chatapp.analytics.schemas import CompanyActivity, MonthlyRevenue, PlatformAnalyticsOut, UsageThisMonth
from chatapp.billing.usage import usage_period
from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan, UsageRecord
from chatapp.db.models.core import Company
from chatapp.db.tenancy import ContextRole, tenant_session

PAYING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.GRACE_PERIOD)
MONTHS_PER_CYCLE = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}
TOP_COMPANIES = 10


def overview(
    principal: Principal, start: date | None = None, end: date | None = None, now: datetime | None = None
) -> PlatformAnalyticsOut:
    """Rollup dates are each company's local days; the default range ends today in UTC."""
    require_role(principal, (ContextRole.MASTER_ADMIN,))
    now = now or datetime.now(UTC)
    start, end = checked_range(start, end, now.date())
    scope = Scope(company_id=None, start=start, end=end)
    with tenant_session(principal.context()) as db:
        statuses = dict(db.execute(select(Company.status, func.count()).group_by(Company.status)).all())
        trials = db.scalar(
            select(func.count())
            .select_from(CompanySubscription)
            .join(Company, Company.id == CompanySubscription.company_id)
            .where(CompanySubscription.status == SubscriptionStatus.TRIAL, Company.deleted_at.is_(None))
        )
        mrr = _monthly_revenue(db, now)
        usage = _usage_this_month(db, now)
        sums = db.execute(select(*summed_columns()).where(*scope.conditions())).mappings().one()
        active = db.scalar(
            select(func.count(func.distinct(DailyAnalytics.company_id))).where(
                *scope.conditions(), DailyAnalytics.total_conversations > 0
            )
        )
        top = _top_companies(db, scope)
    return PlatformAnalyticsOut(
        from_=start,
        to=end,
        companies_by_status={str(k): int(v) for k, v in statuses.items()},
        companies_total=sum(statuses.values()),
        trial_subscriptions=int(trials or 0),
        mrr=mrr,
        usage_this_month=usage,
        totals=totals_from(sums),
        active_companies=int(active or 0),
        top_companies=top,
    )


def _monthly_revenue(db: Session, now: datetime) -> list[MonthlyRevenue]:
    months = case(
        *((SubscriptionPlan.billing_cycle == cycle, count) for cycle, count in MONTHS_PER_CYCLE.items()),
        else_=1,
    )
    price = func.coalesce(CompanySubscription.custom_price, SubscriptionPlan.base_price)
    rows = db.execute(
        select(SubscriptionPlan.currency, func.sum(price / months), func.count())
        .select_from(CompanySubscription)
        .join(SubscriptionPlan, SubscriptionPlan.id == CompanySubscription.plan_id)
        .join(Company, Company.id == CompanySubscription.company_id)
        .where(
            CompanySubscription.status.in_(PAYING),
            CompanySubscription.starts_at <= now,
            Company.deleted_at.is_(None),
        )
        .group_by(SubscriptionPlan.currency)
        .order_by(SubscriptionPlan.currency)
    ).all()
    return [
        MonthlyRevenue(
            currency=currency or "USD", mrr=Decimal(total).quantize(Decimal("0.01")), subscriptions=count
        )
        for currency, total, count in rows
    ]


def _usage_this_month(db: Session, now: datetime) -> UsageThisMonth:
    period_start, _ = usage_period(now)
    row = db.execute(
        select(
            func.count(func.distinct(UsageRecord.company_id)),
            func.coalesce(func.sum(UsageRecord.message_count), 0),
            func.coalesce(func.sum(UsageRecord.ai_response_count), 0),
            func.coalesce(func.sum(UsageRecord.token_count), 0),
            func.coalesce(func.sum(UsageRecord.api_calls), 0),
            func.coalesce(func.sum(UsageRecord.estimated_cost), 0),
        ).where(UsageRecord.period_start == period_start)
    ).one()
    return UsageThisMonth(
        period_start=period_start.date(),
        companies=row[0],
        messages=row[1],
        ai_responses=row[2],
        tokens=row[3],
        api_calls=row[4],
        estimated_cost=Decimal(row[5]).quantize(Decimal("0.0001")),
    )


def _top_companies(db: Session, scope: Scope) -> list[CompanyActivity]:
    conversations = func.sum(DailyAnalytics.total_conversations)
    rows = db.execute(
        select(Company.id, Company.name, conversations, func.sum(DailyAnalytics.total_messages))
        .join(Company, Company.id == DailyAnalytics.company_id)
        .where(*scope.conditions())
        .group_by(Company.id, Company.name)
        .having(conversations > 0)
        .order_by(desc(conversations), Company.name)
        .limit(TOP_COMPANIES)
    ).all()
    return [
        CompanyActivity(company_id=cid, name=name, total_conversations=int(c), total_messages=int(m or 0))
        for cid, name, c, m in rows
    ]
