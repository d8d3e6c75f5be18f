"""Analytics rollup schedule: EventBridge sends {"job": "today"} hourly and {"job": "yesterday"} daily.

Both first mark idle AI conversations abandoned, then recompute each company's local day; a run
rewrites whole days, so repeated or overlapping runs leave the same rows.
"""

from __future__ import annotations

from typing import Any

from chatapp.analytics.rollup import run_job
from chatapp.observability import observed


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # A schedule without Input (a plain "Scheduled Event") means the hourly job.
    return run_job(str((event or {}).get("job") or "today"))
