"""A company's analytics, read from its daily rollups (`analytics/rollup.py` defines each metric).

Every figure over a date range is recomputed from the rows' sums and counts (never an average of
daily averages), so a range's average response time is the true average over its responses.
Dates are the company's local days; ranges are inclusive and at most `MAX_RANGE_DAYS` long.
Reading needs the `analytics: read` permission (company admins have it); an agent filter must
name one of the caller's company's agents.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Date, cast, func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.analytics.schemas import (
    AnalyticsFilter,
    AnalyticsSummaryOut,
    AnalyticsTotals,
    BusiestHoursOut,
    GroupBy,
    HourCount,
    Split,
    TimeseriesOut,
    TimeseriesPoint,
    TimeseriesSeries,
)
from chatapp.db.enums import ChannelType
from chatapp.db.models.agents import Agent
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.core import Company
from chatapp.db.ownership import owned
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import InvalidInput, NotFound

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
# The rollup columns that add up over rows; every reported figure is derived from these.
COUNTS = (
    "total_conversations",
    "new_conversations",
    "resolved_conversations",
    "ai_resolved_conversations",
    "escalated_conversations",
    "abandoned_conversations",
    "total_messages",
    "user_messages",
    "ai_messages",
    "human_agent_messages",
    "total_tokens_used",
    "rag_queries_count",
)
WEIGHTS = (
    "response_time_total",
    "response_count",
    "first_response_time_total",
    "first_response_count",
    "conversation_duration_total",
    "confidence_total",
    "confidence_count",
    "sentiment_total",
    "sentiment_count",
    "rag_relevance_total",
    "rag_relevance_count",
)
SUMMED = (*COUNTS, *WEIGHTS, "estimated_cost")
# The export: each day's counts as stored, then the averages derived from the weights.
CSV_COLUMNS = (
    "date",
    "agent_id",
    "agent_name",
    "channel",
    *COUNTS[:10],  # conversations and messages
    "avg_first_response_time",
    "avg_response_time",
    "avg_conversation_duration",
    "avg_messages_per_conversation",
    "avg_confidence_score",
    "avg_sentiment_score",
    *COUNTS[10:],  # tokens and searches
    "avg_rag_relevance",
    "estimated_cost",
)


@dataclass(frozen=True)
class Scope:
    """What a request reads: one company's rows, a date range, optionally one agent and channel."""

    company_id: uuid.UUID | None  # None: every company (master admin)
    start: date
    end: date
    agent_id: uuid.UUID | None = None
    channel: ChannelType | None = None
    timezone: str = "UTC"

    def conditions(self) -> list[ColumnElement[bool]]:
        found = [DailyAnalytics.date >= self.start, DailyAnalytics.date <= self.end]
        if self.company_id is not None:
            found.append(DailyAnalytics.company_id == self.company_id)
        if self.agent_id is not None:
            found.append(DailyAnalytics.agent_id == self.agent_id)
        if self.channel is not None:
            found.append(DailyAnalytics.channel == self.channel)
        return found

    def described(self) -> AnalyticsFilter:
        return AnalyticsFilter(
            from_=self.start,
            to=self.end,
            agent_id=self.agent_id,
            channel=self.channel,
            timezone=self.timezone,
        )


@dataclass(frozen=True)
class CsvExport:
    filename: str
    content: str


# ---------------------------------------------------------------- ranges and figures


def zone(name: str | None) -> ZoneInfo:
    """The company's zone; an unknown name reads as UTC, as the rollup does."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# Days an analytics range may name. Outside them the default range or a time zone's offset would step
# past what Python's dates hold (year 1 to 9999); no company has figures there.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(9998, 12, 31)


def require_supported_days(*days: date | None) -> None:
    if any(day is not None and not EARLIEST_DAY <= day <= LATEST_DAY for day in days):
        raise InvalidInput(
            f"Dates must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}.",
            code="date_out_of_range",
        )


def checked_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """`to` defaults to `today` and `from` to 30 days ending at `to`; refuses backwards or too long ranges."""
    require_supported_days(start, end)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise InvalidInput("`from` must not be after `to`.", code="invalid_range")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"A range covers at most {MAX_RANGE_DAYS} days.", code="range_too_long")
    return start, end


def summed_columns() -> list[Any]:
    return [func.coalesce(func.sum(getattr(DailyAnalytics, name)), 0).label(name) for name in SUMMED]


def _ratio(part: Any, whole: Any, places: int = 2) -> float | None:
    if not whole:
        return None
    return round(float(Decimal(part) / Decimal(whole)), places)


def totals_from(sums: Mapping[str, Any]) -> AnalyticsTotals:
    """The reported figures, derived from summed rollup columns."""
    conversations = sums["total_conversations"]
    ended = sums["resolved_conversations"] + sums["abandoned_conversations"]
    return AnalyticsTotals(
        **{name: int(sums[name]) for name in COUNTS},
        resolution_rate=_ratio(sums["resolved_conversations"], conversations, 4),
        deflection_rate=_ratio(sums["ai_resolved_conversations"], conversations, 4),
        escalation_rate=_ratio(sums["escalated_conversations"], conversations, 4),
        avg_first_response_time=_ratio(sums["first_response_time_total"], sums["first_response_count"]),
        avg_response_time=_ratio(sums["response_time_total"], sums["response_count"]),
        avg_conversation_duration=_ratio(sums["conversation_duration_total"], ended),
        avg_messages_per_conversation=_ratio(sums["total_messages"], conversations),
        avg_confidence_score=_ratio(sums["confidence_total"], sums["confidence_count"]),
        avg_sentiment_score=_ratio(sums["sentiment_total"], sums["sentiment_count"]),
        avg_rag_relevance=_ratio(sums["rag_relevance_total"], sums["rag_relevance_count"]),
        estimated_cost=Decimal(sums["estimated_cost"]).quantize(Decimal("0.0001")),
    )


def _zero() -> dict[str, Any]:
    return dict.fromkeys(SUMMED, 0)


# ---------------------------------------------------------------- company reports


def _scope(
    principal: Principal,
    db: Session,
    start: date | None,
    end: date | None,
    agent_id: uuid.UUID | None,
    channel: ChannelType | None,
) -> Scope:
    require_permission(principal, "analytics", "read")
    if principal.company_id is None:
        raise InvalidInput("Analytics belong to a company; act within one.", code="company_required")
    return _company_scope(db, principal.company_id, start, end, agent_id, channel)


def _company_scope(
    db: Session,
    company_id: uuid.UUID,
    start: date | None,
    end: date | None,
    agent_id: uuid.UUID | None,
    channel: ChannelType | None,
) -> Scope:
    if agent_id is not None and owned(db, Agent, agent_id) is None:
        raise NotFound("No such agent.", code="agent_not_found")
    company = owned(db, Company, company_id)
    tz = zone(company.timezone if company else None)
    start, end = checked_range(start, end, datetime.now(UTC).astimezone(tz).date())
    return Scope(company_id, start, end, agent_id, channel, tz.key)


def _summary(db: Session, scope: Scope) -> AnalyticsSummaryOut:
    sums = db.execute(select(*summed_columns()).where(*scope.conditions())).mappings().one()
    return AnalyticsSummaryOut(filter=scope.described(), totals=totals_from(sums))


def summary(
    principal: Principal,
    start: date | None = None,
    end: date | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> AnalyticsSummaryOut:
    with tenant_session(principal.context()) as db:
        return _summary(db, _scope(principal, db, start, end, agent_id, channel))


def company_summary(
    context: TenantContext,
    company_id: uuid.UUID,
    start: date | None = None,
    end: date | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> AnalyticsSummaryOut:
    """The same figures for a caller already authorised for `company_id` (the public API's key)."""
    with tenant_session(context) as db:
        return _summary(db, _company_scope(db, company_id, start, end, agent_id, channel))


def _bucket(day: date, group_by: GroupBy) -> date:
    if group_by == "week":
        return day - timedelta(days=day.weekday())
    if group_by == "month":
        return day.replace(day=1)
    return day


def _buckets(start: date, end: date, group_by: GroupBy) -> list[date]:
    found, day = [], start
    while day <= end:
        bucket = _bucket(day, group_by)
        if not found or found[-1] != bucket:
            found.append(bucket)
        day += timedelta(days=1)
    return found


def timeseries(
    principal: Principal,
    start: date | None = None,
    end: date | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
    group_by: GroupBy = "day",
    split: Split | None = None,
) -> TimeseriesOut:
    """One point per bucket in the range (zeros where nothing happened), per agent or channel if split."""
    bucket = (
        DailyAnalytics.date
        if group_by == "day"
        else cast(func.date_trunc(group_by, DailyAnalytics.date), Date)
    ).label("bucket")
    keys = {"agent": [DailyAnalytics.agent_id], "channel": [DailyAnalytics.channel], None: []}[split]
    with tenant_session(principal.context()) as db:
        scope = _scope(principal, db, start, end, agent_id, channel)
        rows = (
            db.execute(
                select(bucket, *keys, *summed_columns()).where(*scope.conditions()).group_by(bucket, *keys)
            )
            .mappings()
            .all()
        )
        series_keys = sorted({_series_key(row, split) for row in rows}, key=str) or [(None, None)]
        names = _agent_names(db, [agent for agent, _ in series_keys if agent is not None])
    by_point = {(_series_key(row, split), row["bucket"]): row for row in rows}
    dates = _buckets(scope.start, scope.end, group_by)
    series = [
        TimeseriesSeries(
            agent_id=agent,
            agent_name=names.get(agent) if agent else None,
            channel=channel_key,
            points=[
                TimeseriesPoint(
                    date=day,
                    **totals_from(by_point.get(((agent, channel_key), day)) or _zero()).model_dump(),
                )
                for day in dates
            ],
        )
        for agent, channel_key in series_keys
    ]
    return TimeseriesOut(filter=scope.described(), group_by=group_by, split=split, series=series)


def _series_key(row: Mapping[str, Any], split: Split | None) -> tuple[uuid.UUID | None, ChannelType | None]:
    return (
        row.get("agent_id") if split == "agent" else None,
        row.get("channel") if split == "channel" else None,
    )


def _agent_names(db: Session, agent_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not agent_ids:
        return {}
    return dict(db.execute(select(Agent.id, Agent.name).where(Agent.id.in_(agent_ids))).all())


def busiest_hours(
    principal: Principal,
    start: date | None = None,
    end: date | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> BusiestHoursOut:
    """Customer messages by local hour of day, summed over the range."""
    # PostgreSQL arrays are 1-based: element h + 1 is local hour h.
    hourly = [func.coalesce(func.sum(DailyAnalytics.hourly_user_messages[h + 1]), 0) for h in range(24)]
    with tenant_session(principal.context()) as db:
        scope = _scope(principal, db, start, end, agent_id, channel)
        counts = db.execute(select(*hourly).where(*scope.conditions())).one()
    hours = [HourCount(hour=hour, customer_messages=int(counts[hour])) for hour in range(24)]
    ranked = sorted((h for h in hours if h.customer_messages), key=lambda h: (-h.customer_messages, h.hour))
    return BusiestHoursOut(filter=scope.described(), hours=hours, busiest=ranked[:3])


def export_csv(
    principal: Principal,
    start: date | None = None,
    end: date | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> CsvExport:
    """The daily rows of the range as CSV (one line per date, agent and channel), oldest first."""
    with tenant_session(principal.context()) as db:
        scope = _scope(principal, db, start, end, agent_id, channel)
        rows = db.execute(
            select(DailyAnalytics, Agent.name)
            .outerjoin(Agent, Agent.id == DailyAnalytics.agent_id)
            .where(*scope.conditions())
            .order_by(DailyAnalytics.date, Agent.name, DailyAnalytics.channel)
        ).all()
        lines = [
            {
                **{name: getattr(row, name) for name in CSV_COLUMNS if hasattr(DailyAnalytics, name)},
                "agent_name": _spreadsheet_safe(agent_name),
            }
            for row, agent_name in rows
        ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(lines)
    return CsvExport(filename=f"analytics-{scope.start}-to-{scope.end}.csv", content=buffer.getvalue())


def _spreadsheet_safe(value: str | None) -> str | None:
    """Agent names are typed by people: keep a spreadsheet from reading one as a formula."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
