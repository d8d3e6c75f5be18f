"""Scheduled re-syncs of knowledge sources (EventBridge): `{"schedule": "daily"}` and
`{"schedule": "weekly"}` start the due sources' syncs; `{"schedule": "now"}` (optionally with a
`source_id`) syncs at once, which is what `./run sync-sources` sends."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel

from chatapp.knowledge.sources.schedule import sync_due
from chatapp.observability import observed


class ScheduleEvent(BaseModel):
    schedule: Literal["daily", "weekly", "now"]
    source_id: uuid.UUID | None = None


@observed
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    job = ScheduleEvent.model_validate(event)
    run = sync_due(None if job.schedule == "now" else job.schedule, source_id=job.source_id)
    return {"started": run.started, "skipped": run.skipped}
