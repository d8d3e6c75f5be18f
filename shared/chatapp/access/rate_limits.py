"""The one rate limiter: fixed windows counted in `chatapp_rate_limit_records`.

One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` for all of a request's keys counts atomically
across Lambda instances (no read-then-write race). Keys name what is limited and by whom, e.g.
`widget:ip:203.0.113.9` or `widget:conversation:<id>`. The table spans tenants and anonymous
callers, so it is system-only; requests count through `chatapp_count_rate_limit_hits`
(see `chatapp.db.counters`), inside the transaction they already have. Finished windows are
forgotten daily by `housekeeping`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.db.tenancy import system_session
from chatapp.errors import RateLimited

__all__ = ["Limit", "RateLimited", "Window", "count_hits", "enforce"]


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
    code: str | None = None  # the refusal's machine-readable code (default `rate_limited`)
    details: dict[str, Any] | None = None  # facts the refusal carries, e.g. the plan limit and upgrades


_COUNT_HITS = text("SELECT hit_key, hits FROM chatapp_count_rate_limit_hits(:keys, :limits, :starts, :ends)")


def count_hits(
    limits: list[Limit], window_seconds: int = 60, *, db: Session | None = None, now: datetime | None = None
) -> list[Window]:
    """Count one hit on each key in one statement; inside `db`'s transaction when given (any tenant
    context may count, through `chatapp_count_rate_limit_hits`), else in a system transaction."""
    now = now or datetime.now(UTC)
    epoch = int(now.timestamp())
    start = datetime.fromtimestamp(epoch - epoch % window_seconds, UTC)
    end = start + timedelta(seconds=window_seconds)
    keys = [limit.key[:255] for limit in limits]
    parameters = {"keys": keys, "limits": [limit.limit for limit in limits], "starts": start, "ends": end}
    if db is None:
        with system_session("rate limit") as own:
            counts = {key: hits for key, hits in own.execute(_COUNT_HITS, parameters)}
    else:
        counts = {key: hits for key, hits in db.execute(_COUNT_HITS, parameters)}
    return [
        Window(count=counts[key], limit=limit.limit, resets_at=end)
        for key, limit in zip(keys, limits, strict=True)
    ]


def enforce(*limits: Limit, window_seconds: int = 60, db: Session | None = None) -> None:
    """Count the hits, then refuse if any limit is exceeded. Inside a transaction, the refusal rolls
    the transaction back with its own hit, so a blocked caller stays blocked until the window ends."""
    for limit, window in zip(limits, count_hits(list(limits), window_seconds, db=db), strict=True):
        if window.exceeded:
            raise RateLimited(
                limit.message, code=limit.code, retry_after=window.retry_after_seconds, details=limit.details
            )
