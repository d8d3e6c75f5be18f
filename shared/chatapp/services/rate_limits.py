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


def count_hit(key: str, limit: int, window_seconds: int = 60, now: datetime | None = None) -> Window:
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)
    end = start + timedelta(seconds=window_seconds)
    statement = insert(RateLimitRecord).values(
        key=key[:255], window_start=start, window_end=end, request_count=1, limit_value=limit
    )
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"request_count": RateLimitRecord.request_count + 1, "updated_at": func.now()},
    ).returning(RateLimitRecord.request_count)
    with system_session("rate limit") as db:
        count = db.execute(statement).scalar_one()
    return Window(count=count, limit=limit, resets_at=end)


def enforce(key: str, limit: int, window_seconds: int = 60, *, message: str | None = None) -> Window:
    window = count_hit(key, limit, window_seconds)
    if window.exceeded:
        raise RateLimited(message, retry_after=window.retry_after_seconds)
    return window


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    """Forget finished windows (run by a scheduled job)."""
    with system_session("prune rate-limit windows") as db:
        result = db.execute(
            delete(RateLimitRecord).where(RateLimitRecord.window_end < datetime.now(UTC) - older_than)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
