"""Scheduled re-syncs: EventBridge fires a daily and a weekly rule; each starts a sync of every
source on that schedule whose time has come.

`next_sync_at` decides, not the rule's firing alone: the local runner fires `cron(...)` rules
hourly, and a rule may fire late or twice; a source is due when its next sync is at most
`EARLY` away, so the 02:00 rule takes a source due at 02:05. `./run sync-sources` syncs now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from chatapp.billing.quotas import EffectiveLimits, effective_limits
from chatapp.db.models.knowledge import KnowledgeSource
from chatapp.db.tenancy import TenantContext, system_session, tenant_session
from chatapp.errors import LimitExceeded
from chatapp.knowledge.sources import syncs
from chatapp.observability import logger

EARLY = timedelta(hours=2)


@dataclass(frozen=True)
class ScheduleRun:
    started: int
    skipped: int


def sync_due(
    schedule: str | None, *, source_id: uuid.UUID | None = None, now: datetime | None = None
) -> ScheduleRun:
    """Start syncs: of every due source on `schedule`, or (schedule None) of every source, or of one."""
    moment = now or datetime.now(UTC)
    query = select(KnowledgeSource.id, KnowledgeSource.company_id)
    if source_id is not None:
        query = query.where(KnowledgeSource.id == source_id)
    elif schedule is not None:
        query = query.where(
            KnowledgeSource.schedule == schedule,
            or_(KnowledgeSource.next_sync_at.is_(None), KnowledgeSource.next_sync_at <= moment + EARLY),
        )
    with system_session("scheduled source syncs") as db:
        due = db.execute(query).all()
    started = skipped = 0
    for row_id, company_id in due:
        with tenant_session(TenantContext.company_service(company_id)) as db:
            source = db.get(KnowledgeSource, row_id)
            if source is None:
                continue
            limits = _limits(db, company_id)
            if limits is None or "webSources" not in limits.features:
                skipped += 1  # the plan no longer includes web sources: its pages stay as they are
                continue
            syncs.request_sync(db, source, "schedule", None)
            started += 1
    logger.info("source syncs started", extra={"schedule": schedule, "started": started, "skipped": skipped})
    return ScheduleRun(started=started, skipped=skipped)


def _limits(db: Session, company_id: uuid.UUID) -> EffectiveLimits | None:
    try:
        return effective_limits(db, company_id)
    except LimitExceeded:  # no live subscription
        return None
