"""Billing periods in calendar months: a monthly period started on 15 March ends on 15 April.

A subscription's periods end on its billing day (`billing_day`, the day its first period started,
in UTC). A month without that day ends the period on its last day (31 January -> 28/29 February),
and the next period returns to the billing day (28 February -> 31 March), however many short months
come in a row (a leap-day annual plan renews on 28 February, then on 29 February in leap years).
Rows without a billing day (created before the column) take it from the period being renewed.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

CYCLE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "semi_annual": 6, "annual": 12}


def cycle_months(billing_cycle: str) -> int:
    try:
        return CYCLE_MONTHS[billing_cycle]
    except KeyError:
        raise ValueError(f"unknown billing cycle {billing_cycle!r}") from None


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(moment: datetime, months: int, *, day: int | None = None) -> datetime:
    """`moment` moved `months` calendar months on, on `day` (default: its own day), clamped to the
    month's last day; the time of day is kept."""
    moment = moment.astimezone(UTC)
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(day or moment.day, _last_day(year, month)))


def billing_day(starts_at: datetime, expires_at: datetime) -> int:
    """For rows without a stored billing day: the day a period's end was aimed at (its start's day
    when the end was clamped to a shorter month's last day, else the end's own day)."""
    starts_at, expires_at = starts_at.astimezone(UTC), expires_at.astimezone(UTC)
    clamped = (
        expires_at.day == _last_day(expires_at.year, expires_at.month) and starts_at.day > expires_at.day
    )
    return starts_at.day if clamped else expires_at.day


def period_end(starts_at: datetime, billing_cycle: str, *, day: int | None = None) -> datetime:
    return add_months(starts_at, cycle_months(billing_cycle), day=day)


def utc_day(moment: datetime) -> int:
    return moment.astimezone(UTC).day


def next_period(
    starts_at: datetime, expires_at: datetime, billing_cycle: str, *, day: int | None = None
) -> tuple[datetime, datetime]:
    """The period after [starts_at, expires_at): it starts where that one ended, and ends on `day`."""
    day = day or billing_day(starts_at, expires_at)
    return expires_at, period_end(expires_at, billing_cycle, day=day)
