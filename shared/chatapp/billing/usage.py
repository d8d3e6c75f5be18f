"""Usage metering: what each company's agents did this month, counted against the plan.

The usage period is the calendar month in UTC, whatever the billing cycle, so "messages this
month" means the same thing on every plan. One row per company, agent and month (agent NULL
holds company-wide figures such as storage). Rows are written by the platform (system context)
with atomic increments, so concurrent turns never lose a count; tenants only read them.

`messagesPerMonth` counts customer messages. The check runs before a message is stored, so two
messages racing at the very last unit may both pass: the limit is exact to within the number of
simultaneous turns, which is the usual trade for not serialising every chat on one row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chatapp.billing.quotas import EffectiveLimits, require_room, stored_bytes
from chatapp.db.models.billing import UsageRecord
from chatapp.db.tenancy import system_session

# Estimated list prices in USD per million tokens (input, output), by model family. An estimate
# for dashboards and plan limits, not an invoice; unknown models fall back to the sonnet price.
PRICE_PER_MILLION: dict[str, tuple[Decimal, Decimal]] = {
    "haiku": (Decimal("1"), Decimal("5")),
    "sonnet": (Decimal("3"), Decimal("15")),
    "opus": (Decimal("5"), Decimal("25")),
}


def usage_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    start = (now or datetime.now(UTC)).astimezone(UTC)
    start = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def estimate_cost(model: str | None, input_tokens: int, output_tokens: int) -> Decimal:
    if not model or not (input_tokens or output_tokens):
        return Decimal("0")
    family = next((name for name in PRICE_PER_MILLION if name in model), "sonnet")
    price_in, price_out = PRICE_PER_MILLION[family]
    return (price_in * input_tokens + price_out * output_tokens) / Decimal(1_000_000)


_METER = text(
    "SELECT chatapp_meter_usage("
    ":company, :agent, :starts, :ends, :messages, :ai_responses, :tokens, :cost, :api_calls)"
)


def record(
    db: Session,
    company_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    *,
    messages: int = 0,
    ai_responses: int = 0,
    tokens: int = 0,
    cost: Decimal = Decimal("0"),
    api_calls: int = 0,
) -> None:
    """Count usage inside the caller's transaction (so it commits or rolls back with what it counts),
    through `chatapp_meter_usage`, which only adds and only for the transaction's own company."""
    start, end = usage_period()
    db.execute(
        _METER,
        {
            "company": company_id,
            "agent": agent_id,
            "starts": start,
            "ends": end,
            "messages": messages,
            "ai_responses": ai_responses,
            "tokens": tokens,
            "cost": cost,
            "api_calls": api_calls,
        },
    )


def messages_this_month(db: Session, company_id: uuid.UUID, now: datetime | None = None) -> int:
    start, _ = usage_period(now)
    total = db.scalar(
        select(func.coalesce(func.sum(UsageRecord.message_count), 0)).where(
            UsageRecord.company_id == company_id, UsageRecord.period_start == start
        )
    )
    return int(total or 0)


def require_message_allowance(db: Session, company_id: uuid.UUID, limits: EffectiveLimits) -> None:
    limit = limits.number("messagesPerMonth")
    if limit is None:
        return
    require_room(
        db,
        limits,
        "messagesPerMonth",
        used=messages_this_month(db, company_id),
        code="message_limit_reached",
        what=f"This month's {limit:,} messages on the {limits.plan_name or limits.plan_slug} plan are "
        "used up; they reset on the 1st.",
    )


def meter_storage(company_id: uuid.UUID) -> int:
    """Record the company's current stored bytes on this month's usage row (platform metering)."""
    start, end = usage_period()
    with system_session("measure knowledge storage") as db:
        total = stored_bytes(db, company_id)
        statement = insert(UsageRecord).values(
            company_id=company_id, agent_id=None, period_start=start, period_end=end, storage_bytes=total
        )
        db.execute(  # a level, not a count: the latest measurement replaces the last
            statement.on_conflict_do_update(
                index_elements=["company_id", "agent_id", "period_start"],
                set_={"storage_bytes": statement.excluded.storage_bytes, "updated_at": func.now()},
            )
        )
    return total
