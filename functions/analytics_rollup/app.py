"""Analytics rollup schedule: EventBridge sends {"job": "today"} hourly and {"job": "yesterday"} daily.

Both first mark idle AI conversations abandoned, then recompute each company's local day; a run
rewrites whole days, so repeated or overlapping runs leave the same rows. The nightly one also
clusters the content-gap topics again (replacing each company's).
"""

from __future__ import annotations

from typing import Any

from chatapp.observability import observed
from chatapp.system import analytics_schedule


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # A schedule without Input (a plain "Scheduled Event") means the hourly job.
    return analytics_schedule.run(str((event or {}).get("job") or "today"))
