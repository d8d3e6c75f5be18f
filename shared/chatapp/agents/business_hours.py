"""Business hours from an agent's `business_hours` JSON: is a person available now?"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_OUTSIDE_HOURS = (
    "Our team is offline right now. We've noted your request and a person will reply when we're back."
)


def _zone(hours: dict[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(str(hours.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(hours: dict[str, Any], now: datetime) -> datetime:
    return now.astimezone(_zone(hours))


def is_open(hours: dict[str, Any] | None, now: datetime) -> bool:
    """No schedule means always staffed; a day missing from a schedule means closed that day.
    A shift that ends before it starts runs overnight: Friday 22:00-06:00 covers early Saturday."""
    schedule = (hours or {}).get("schedule") or {}
    if not schedule:
        return True
    here = local_now(hours or {}, now)
    moment = here.time().replace(tzinfo=None)
    today = schedule.get(WEEKDAYS[here.weekday()])
    if today:
        start, end = time.fromisoformat(today["start"]), time.fromisoformat(today["end"])
        if start <= moment < end or (end <= start <= moment):
            return True
    yesterday = schedule.get(WEEKDAYS[(here.weekday() - 1) % 7])
    if yesterday:
        start, end = time.fromisoformat(yesterday["start"]), time.fromisoformat(yesterday["end"])
        if end <= start and moment < end:
            return True
    return False


def describe(hours: dict[str, Any] | None) -> str | None:
    schedule = (hours or {}).get("schedule") or {}
    if not schedule:
        return None
    days = [
        f"{day[:3].title()} {schedule[day]['start']}-{schedule[day]['end']}"
        for day in WEEKDAYS
        if day in schedule
    ]
    return f"{', '.join(days)} ({(hours or {}).get('timezone') or 'UTC'})"


def outside_hours_message(hours: dict[str, Any] | None) -> str:
    return str((hours or {}).get("outsideHoursMessage") or DEFAULT_OUTSIDE_HOURS)
