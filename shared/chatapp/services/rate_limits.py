"""The one rate limiter: fixed windows counted in `chatapp_rate_limit_records`.

One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` per hit counts atomically across Lambda
instances (no read-then-write race). Keys name what is limited and by whom, e.g.
`widget:ip:203.0.113.9` or `widget:session:<conversation id>`. The table spans tenants and
anonymous callers, so it is written in the system context only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert

from chatapp.db.models.audit import RateLimitRecord
from chatapp.db.tenancy import system_session
from chatapp.errors import RateLimited


@dataclass(frozen=True)
class Window:
    count: int
    limit: int
    resets_at: datetime

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.resets_at - datetime.now(UTC)).total_seconds() + 0.999))


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    message: str | None = None  # what the caller is told when it is exceeded


def count_hits(limits: list[Limit], window_seconds: int = 60, now: datetime | None = None) -> list[Window]:
    """Count one hit on each key, in one statement (one round trip however many limits apply)."""
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)
    end = start + timedelta(seconds=window_seconds)
    rows = [
        {
            "key": limit.key[:255],
            "window_start": start,
            "window_end": end,
            "request_count": 1,
            "limit_value": limit.limit,
        }
        for limit in limits
    ]
    statement = insert(RateLimitRecord).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"request_count": RateLimitRecord.request_count + 1, "updated_at": func.now()},
    ).returning(RateLimitRecord.key, RateLimitRecord.request_count)
    with system_session("rate limit") as db:
        counts = {key: count for key, count in db.execute(statement).all()}
    return [Window(count=counts[limit.key[:255]], limit=limit.limit, resets_at=end) for limit in limits]


def enforce(*limits: Limit, window_seconds: int = 60) -> None:
    for limit, window in zip(limits, count_hits(list(limits), window_seconds), strict=True):
        if window.exceeded:
            raise RateLimited(limit.message, retry_after=window.retry_after_seconds)


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    """Forget finished windows (run by a scheduled job)."""
    with system_session("prune rate-limit windows") as db:
        result = db.execute(
            delete(RateLimitRecord).where(RateLimitRecord.window_end < datetime.now(UTC) - older_than)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
