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
    """No schedule means always staffed; a day missing from a schedule means closed that day."""
    schedule = (hours or {}).get("schedule") or {}
    if not schedule:
        return True
    here = local_now(hours or {}, now)
    today = schedule.get(WEEKDAYS[here.weekday()])
    if not today:
        return False
    start, end = time.fromisoformat(today["start"]), time.fromisoformat(today["end"])
    moment = here.time().replace(tzinfo=None)
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # overnight shift, e.g. 22:00-06:00


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
