"""Requests and responses of billing: plans, subscriptions and the lifecycle job.

Sections: the master admin's catalogue and subscription management, then what a company admin
sees of their own billing (the subscription, usage against every limit, the plans they could
move to).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# ---------------------------------------------------------------- master admin: plans and subscriptions

BillingCycle = Literal["monthly", "quarterly", "semi_annual", "annual"]
# What a plan can include: the channels (chatapp.db.enums.ChannelType) plus platform capabilities.
Feature = Literal[
    "web",
    "whatsapp",
    "telegram",
    "messenger",
    "instagram",
    "slack",
    "teams",
    "custom",
    "voice",
    "analytics_advanced",
]
FEATURES: tuple[str, ...] = get_args(Feature)
PLAN_SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"  # an ISO 4217 alphabetic code
# Money as the columns hold it: numeric(10, 2), never negative. JSON carries it as a string.
Money = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=10**12)]
Gigabytes = Annotated[int, Field(ge=0, le=10**6)] | Annotated[float, Field(ge=0, le=10**6)]


class PlanLimits(BaseModel):
    """A plan's limits, with the design's camelCase keys. A missing or null key is unlimited
    (`trialDays`: the platform's default trial). In a subscription's custom limits a key given as
    null overrides the plan's value with "unlimited"; a key left out keeps the plan's value."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    messages_per_month: Count | None = Field(default=None, alias="messagesPerMonth")
    agent_count: Count | None = Field(default=None, alias="agentCount")
    support_seats: Count | None = Field(default=None, alias="supportSeats")
    storage_gb: Gigabytes | None = Field(default=None, alias="storageGb", description="knowledge storage")
    attachment_storage_gb: Gigabytes | None = Field(
        default=None, alias="attachmentStorageGb", description="files customers send in conversations"
    )
    max_file_size: Count | None = Field(default=None, alias="maxFileSize", description="bytes")
    api_rate_limit: Count | None = Field(default=None, alias="apiRateLimit", description="requests a minute")
    knowledge_categories: Count | None = Field(default=None, alias="knowledgeCategories")
    test_runs_per_month: Count | None = Field(
        default=None, alias="testRunsPerMonth", description="agent test runs (up to 50 questions each)"
    )
    web_source_pages: Count | None = Field(
        default=None, alias="webSourcePages", description="pages kept in sync from websites and help centres"
    )
    trial_days: Annotated[int, Field(ge=0, le=365)] | None = Field(default=None, alias="trialDays")

    def plan_values(self) -> dict[str, Any]:
        """As a plan stores them: only the keys that set a limit."""
        return self.model_dump(by_alias=True, exclude_none=True)

    def override_values(self) -> dict[str, Any]:
        """As a subscription's custom limits store them: every key given, null meaning unlimited."""
        return self.model_dump(by_alias=True, exclude_unset=True)


def _unique_features(value: list[Feature] | None) -> list[Feature] | None:
    return list(dict.fromkeys(value)) if value is not None else None


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=100, pattern=PLAN_SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)
    base_price: Money
    setup_fee: Money = Decimal("0")
    currency: str = Field(default="USD", pattern=CURRENCY_PATTERN)
    billing_cycle: BillingCycle
    limits: PlanLimits = Field(default_factory=PlanLimits)
    features: list[Feature] = Field(default_factory=list, max_length=len(FEATURES))
    is_public: bool = True
    is_active: bool = True

    _features = field_validator("features")(_unique_features)


# Columns a patch may not set to null (the plan would be invalid); `description` may be cleared.
_PLAN_REQUIRED = ("name", "slug", "base_price", "setup_fee", "currency", "billing_cycle", "limits")
_PLAN_REQUIRED += ("features", "is_public", "is_active")


class PlanPatch(BaseModel):
    """Changes to a plan. `limits` and `features` replace the plan's whole object or list."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    slug: str | None = Field(default=None, min_length=1, max_length=100, pattern=PLAN_SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)
    base_price: Money | None = None
    setup_fee: Money | None = None
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN)
    billing_cycle: BillingCycle | None = None
    limits: PlanLimits | None = None
    features: list[Feature] | None = Field(default=None, max_length=len(FEATURES))
    is_public: bool | None = None
    is_active: bool | None = None

    _features = field_validator("features")(_unique_features)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> PlanPatch:
        nulled = [
            name for name in _PLAN_REQUIRED if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    base_price: Decimal
    setup_fee: Decimal | None
    currency: str | None
    billing_cycle: str
    limits: dict[str, Any]
    features: list[Any] | None
    is_public: bool | None
    is_active: bool | None
    live_subscriptions: int = Field(default=0, description="subscriptions on this plan that are live now")
    created_at: datetime
    updated_at: datetime


class PlanRemovedOut(BaseModel):
    id: uuid.UUID
    outcome: Literal["deleted", "deactivated"] = Field(
        description="deactivated when any subscription, past or present, uses the plan"
    )
    plan: PlanOut | None = None


class SubscriptionAssignIn(BaseModel):
    """A plan for a company: replaces its live subscription (which is cancelled) with a new one."""

    model_config = ConfigDict(extra="forbid")

    plan_id: uuid.UUID
    custom_price: Money | None = None
    custom_setup_fee: Money | None = None
    custom_limits: PlanLimits | None = None
    trial_days: int = Field(default=0, ge=0, le=365, description="0 starts the first paid period now")
    grace_period_days: int = Field(default=7, ge=0, le=365)
    auto_renew: bool = True
    notes: str | None = Field(default=None, max_length=5000)


class SubscriptionPatch(BaseModel):
    """Edits to the live subscription that do not restart it. Null clears a custom value."""

    model_config = ConfigDict(extra="forbid")

    custom_price: Money | None = None
    custom_setup_fee: Money | None = None
    custom_limits: PlanLimits | None = None
    grace_period_days: int | None = Field(default=None, ge=0, le=365)
    auto_renew: bool | None = None
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> SubscriptionPatch:
        for name in ("grace_period_days", "auto_renew"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class PaymentFailedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    company_id: uuid.UUID
    plan_id: uuid.UUID
    plan_slug: str
    plan_name: str
    billing_cycle: str
    status: str
    custom_price: Decimal | None
    custom_setup_fee: Decimal | None
    custom_limits: dict[str, Any] | None
    trial_ends_at: datetime | None
    starts_at: datetime
    expires_at: datetime
    past_due_at: datetime | None
    grace_period_ends_at: datetime | None
    cancelled_at: datetime | None
    unpaid_at: datetime | None
    billing_day: int | None = Field(description="day of the month (UTC) periods end on")
    grace_period_days: int | None
    auto_renew: bool | None
    notes: str | None
    reminders_sent: list[str]
    created_at: datetime
    updated_at: datetime


class LifecycleRunOut(BaseModel):
    """What one run of the subscription lifecycle job did."""

    now: datetime
    checked: int = Field(description="subscriptions with something due or a reminder window open")
    transitions: dict[str, int] = Field(description="audit action -> count, e.g. subscription.renewed")
    reminders: int = Field(description="reminder e-mails sent")
    skipped: int = Field(description="subscriptions another run held locked")
    failed: int


# ---------------------------------------------------------------- a company admin: their own billing


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
