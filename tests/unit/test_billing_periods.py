"""Calendar-month billing periods: clamped to short months, back to the billing day afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chatapp.billing.periods import next_period, period_end


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


def test_a_monthly_period_from_the_31st_clamps_and_returns_to_the_31st() -> None:
    start, end = at(2023, 1, 31), period_end(at(2023, 1, 31), "monthly")
    ends = [end]
    for _ in range(5):
        start, end = next_period(start, end, "monthly")
        ends.append(end)
    assert [e.date().isoformat() for e in ends] == [
        "2023-02-28",
        "2023-03-31",
        "2023-04-30",
        "2023-05-31",
        "2023-06-30",
        "2023-07-31",
    ]
    assert all(e.time() == at(2023, 1, 1).time() for e in ends)


@pytest.mark.parametrize(
    ("start", "cycle", "end"),
    [
        (at(2024, 1, 30), "monthly", at(2024, 2, 29)),  # leap year
        (at(2023, 11, 30), "quarterly", at(2024, 2, 29)),
        (at(2023, 8, 31), "semi_annual", at(2024, 2, 29)),
        (at(2024, 2, 29), "annual", at(2025, 2, 28)),
        (at(2024, 12, 15), "monthly", at(2025, 1, 15)),
    ],
)
def test_cycles_are_calendar_months(start: datetime, cycle: str, end: datetime) -> None:
    assert period_end(start, cycle) == end


def test_the_billing_day_survives_several_short_months_in_a_row() -> None:
    start, end = at(2024, 2, 29), at(2025, 2, 28)
    ends = []
    for _ in range(4):
        start, end = next_period(start, end, "annual", day=29)
        ends.append(end.date().isoformat())
    assert ends == ["2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"]
    start, end = at(2023, 8, 31), at(2023, 11, 30)
    for expected in ("2024-02-29", "2024-05-31", "2024-08-31"):
        start, end = next_period(start, end, "quarterly", day=31)
        assert end.date().isoformat() == expected


def test_days_are_utc_days_whatever_the_offset_of_the_input() -> None:
    tokyo = datetime(2023, 2, 1, 1, 0, tzinfo=timezone(timedelta(hours=9)))  # 31 January in UTC
    assert period_end(tokyo, "monthly") == datetime(2023, 2, 28, 16, 0, tzinfo=UTC)


def test_unknown_cycles_are_an_error() -> None:
    with pytest.raises(ValueError, match="weekly"):
        period_end(at(2024, 1, 1), "weekly")
