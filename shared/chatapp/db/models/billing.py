"""Section 6: subscription plans (platform catalogue), company subscriptions and usage."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, updated_at, uuid_pk
from chatapp.db.enums import SubscriptionStatus, subscription_status

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import agents, core  # noqa: F401


class SubscriptionPlan(Base):
    __tablename__ = "chatapp_subscription_plans"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    base_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    setup_fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), server_default="0")
    currency: Mapped[str | None] = mapped_column(String(3), server_default="USD")
    # 'monthly' | 'quarterly' | 'semi_annual' | 'annual'
    billing_cycle: Mapped[str] = mapped_column(String(20))
    limits: Mapped[dict[str, Any]] = json_object(nullable=False)
    features: Mapped[list[Any] | None] = json_array()
    is_active: Mapped[bool | None] = mapped_column(server_default=true())
    is_public: Mapped[bool | None] = mapped_column(server_default=true())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class CompanySubscription(Base):
    __tablename__ = "chatapp_company_subscriptions"
    __table_args__ = (
        Index("subscriptions_company_idx", "company_id"),
        Index("subscriptions_status_idx", "status"),
        Index("subscriptions_expires_at_idx", "expires_at"),
        Index(
            "idx_subscriptions_company_active",
            "company_id",
            postgresql_where=text("status IN ('active', 'trial')"),
        ),
        Index("idx_subscriptions_expires_soon", "expires_at", postgresql_where=text("status = 'active'")),
        # Not in the design (migration 0008): a company has at most one live subscription; assigning a
        # plan cancels the live one first, and two concurrent assignments cannot both win.
        Index(
            "subscriptions_company_live_uidx",
            "company_id",
            unique=True,
            postgresql_where=text("status IN ('trial', 'active', 'past_due', 'grace_period')"),
        ),
        CheckConstraint("billing_day BETWEEN 1 AND 31", name="billing_day"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_subscription_plans.id"))
    custom_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    custom_setup_fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    custom_limits: Mapped[dict[str, Any] | None] = json_object()
    status: Mapped[SubscriptionStatus] = mapped_column(
        subscription_status, server_default=SubscriptionStatus.TRIAL.value
    )
    trial_ends_at: Mapped[datetime | None]
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    grace_period_ends_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    grace_period_days: Mapped[int | None] = mapped_column(Integer, server_default="7")
    auto_renew: Mapped[bool | None] = mapped_column(server_default=true())
    notes: Mapped[str | None] = mapped_column(Text)
    # Not in the design (migration 0008), for the lifecycle job (billing/lifecycle.py):
    # when a payment was marked missing, when the current lapse began, and the reminder e-mails
    # already sent for the current period (keys such as "renewal:<expires_at>:7d"), and the day of
    # the month (UTC) periods end on, which a short month clamps (NULL: the period's own day).
    unpaid_at: Mapped[datetime | None]
    past_due_at: Mapped[datetime | None]
    reminders_sent: Mapped[list[Any]] = json_array(nullable=False)
    billing_day: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class UsageRecord(Base):
    __tablename__ = "chatapp_usage_records"
    __table_args__ = (
        Index("usage_company_period_idx", "company_id", "period_start"),
        # Not in the design: metering upserts one row per company, agent (or none) and period.
        Index(
            "usage_company_agent_period_uidx",
            "company_id",
            "agent_id",
            "period_start",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index("usage_agent_idx", "agent_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_agents.id"))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    message_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    ai_response_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    token_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    storage_bytes: Mapped[int | None] = mapped_column(BigInteger, server_default="0")
    api_calls: Mapped[int | None] = mapped_column(Integer, server_default="0")
    estimated_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
