"""The analytics schedule: hourly, each company's local today is rolled up; nightly, yesterday is
rolled up once more after it is over and the content-gap topics are clustered again."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from chatapp.analytics.rollup import run_job
from chatapp.quality import content_gaps

NIGHTLY = "yesterday"


def run(job: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    summary = run_job(job, now)
    if job == NIGHTLY:
        started = time.perf_counter()
        gaps = content_gaps.refresh(now)
        summary["content_gaps"] = {**gaps.as_dict(), "seconds": round(time.perf_counter() - started, 2)}
    return summary
