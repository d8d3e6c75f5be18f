"""Business hours from an agent's `business_hours` JSON: is a person available now?"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chatapp import languages

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


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


def outside_hours_message(hours: dict[str, Any] | None, language: str | None = None) -> str:
    """The agent's own message for `language`, its default one, or the system's in `language`."""
    own = languages.agent_text(hours, "outsideHoursMessage", language)
    return own or languages.text("outside_hours", language)
