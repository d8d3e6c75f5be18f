"""Analytics responses: a company's figures from its daily rollups, and the master admin's platform view.

Dates are the company's local calendar days (inclusive ranges). Durations are in seconds. Rates
and averages are computed from the rollups' sums and counts, so a range's average is exact.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chatapp.db.enums import ChannelType

GroupBy = Literal["day", "week", "month"]
Split = Literal["agent", "channel"]


class AnalyticsTotals(BaseModel):
    total_conversations: int = Field(
        description="Conversations touched each day (started, messaged, resolved, escalated or abandoned), "
        "summed over the days: a conversation active on two days counts twice."
    )
    new_conversations: int
    resolved_conversations: int
    ai_resolved_conversations: int = Field(description="Resolved with no human message and no escalation.")
    escalated_conversations: int
    abandoned_conversations: int
    total_messages: int
    user_messages: int
    ai_messages: int
    human_agent_messages: int
    resolution_rate: float | None = Field(description="resolved / total_conversations")
    deflection_rate: float | None = Field(description="ai_resolved / total_conversations")
    escalation_rate: float | None = Field(description="escalated / total_conversations")
    avg_first_response_time: float | None
    avg_response_time: float | None
    avg_conversation_duration: float | None
    avg_messages_per_conversation: float | None
    avg_confidence_score: float | None
    avg_sentiment_score: float | None
    avg_rag_relevance: float | None
    total_tokens_used: int
    rag_queries_count: int
    estimated_cost: Decimal


class AnalyticsFilter(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from")
    to: dt.date
    agent_id: uuid.UUID | None
    channel: ChannelType | None
    timezone: str = Field(description="The company's time zone: what the dates and hours are local to.")


class AnalyticsSummaryOut(BaseModel):
    filter: AnalyticsFilter
    totals: AnalyticsTotals


class TimeseriesPoint(AnalyticsTotals):
    date: dt.date = Field(
        description="The first day of the bucket (a day, an ISO week's Monday, a month's 1st)."
    )


class TimeseriesSeries(BaseModel):
    agent_id: uuid.UUID | None
    agent_name: str | None
    channel: ChannelType | None
    points: list[TimeseriesPoint]


class TimeseriesOut(BaseModel):
    filter: AnalyticsFilter
    group_by: GroupBy
    split: Split | None
    series: list[TimeseriesSeries]


class HourCount(BaseModel):
    hour: int = Field(ge=0, le=23, description="Local hour of the day.")
    customer_messages: int


class BusiestHoursOut(BaseModel):
    filter: AnalyticsFilter
    hours: list[HourCount] = Field(description="All 24 hours, from 0.")
    busiest: list[HourCount] = Field(description="Up to three hours with the most customer messages.")


# ---------------------------------------------------------------- master admin


class MonthlyRevenue(BaseModel):
    currency: str
    mrr: Decimal = Field(description="Live paying subscriptions' price per month (custom price if set).")
    subscriptions: int


class UsageThisMonth(BaseModel):
    period_start: dt.date
    companies: int = Field(description="Companies with any metered usage this month.")
    messages: int
    ai_responses: int
    tokens: int
    api_calls: int
    estimated_cost: Decimal


class CompanyActivity(BaseModel):
    company_id: uuid.UUID
    name: str
    total_conversations: int
    total_messages: int


class PlatformAnalyticsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from")
    to: dt.date
    companies_by_status: dict[str, int]
    companies_total: int
    trial_subscriptions: int
    mrr: list[MonthlyRevenue] = Field(description="One entry per currency.")
    usage_this_month: UsageThisMonth
    totals: AnalyticsTotals = Field(description="All companies' rollups over the date range.")
    active_companies: int = Field(description="Companies with at least one conversation in the range.")
    top_companies: list[CompanyActivity] = Field(description="Up to ten, by conversations in the range.")


class CopilotReportOut(BaseModel):
    """The copilot's suggestions created over the range (local days, inclusive)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from")
    to: dt.date
    suggested: int
    sent_as_is: int
    edited: int
    ignored: int
    open: int = Field(description="Not settled yet: no reply has been sent since.")
    acceptance_rate: float | None = Field(
        description="(sent as is + edited) / settled suggestions; null when none is settled."
    )
