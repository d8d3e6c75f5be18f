"""What a company admin sees of their own billing: the subscription, usage against every limit,
and the public plans they could move to."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


class LimitUsageOut(BaseModel):
    limit: str  # the plan's key, e.g. "agentCount"
    unit: str
    allowed: float | None  # None: unlimited
    # None for ceilings rather than counts (maxFileSize, apiRateLimit): nothing accumulates.
    used: float | None
    remaining: float | None
    percent_used: float | None
    reached: bool


class UsageOut(BaseModel):
    """Usage in the current period: the calendar month in UTC, whatever the billing cycle."""

    plan: str
    plan_name: str
    period_start: datetime
    period_end: datetime
    limits: list[LimitUsageOut]
    features: list[str]
    stored_bytes: int
    messages: int
    ai_responses: int
    tokens: int
    api_calls: int
    estimated_cost: Decimal


class CompanySubscriptionOut(BaseModel):
    plan: str
    plan_name: str
    status: str
    price: Decimal
    setup_fee: Decimal | None
    currency: str | None
    billing_cycle: str
    trial_ends_at: datetime | None
    starts_at: datetime
    expires_at: datetime
    grace_period_ends_at: datetime | None
    auto_renew: bool | None
    company_status: str
    company_status_reason: str | None


class CatalogPlanOut(BaseModel):
    slug: str
    name: str
    description: str | None
    base_price: Decimal
    setup_fee: Decimal | None
    currency: str | None
    billing_cycle: str
    limits: dict[str, Any]
    features: list[Any]
    current: bool
