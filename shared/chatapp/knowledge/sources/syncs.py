"""Running a sync: one queue message per item, so a large site fans out across crawler invocations.

A sync starts with one message without an item: the connector's `start` (robots.txt, the first
listing) names the first items. Each item is a row of `chatapp_source_sync_items`, unique by key
within the sync, so a page linked from a hundred others is visited once; a message is sent only for
a row this transaction inserted. Visiting an item records its outcome and inserts what it named in
one transaction; the network is never touched inside a transaction.

At least once: a redelivered message finds its item no longer pending and does nothing. The sync
completes when no item is pending (one conditional UPDATE decides who completes it), and then the
pages it did not see have missed a sync; two misses in a row remove a page.
"""

from __future__ import annotations

import fnmatch
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chatapp.billing.quotas import effective_limits
from chatapp.config import get_settings
from chatapp.db.enums import FileStatus
from chatapp.db.models.knowledge import KnowledgeFile, KnowledgeSource, SourceSync, SourceSyncItem
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import InvalidInput
from chatapp.integrations import queues
from chatapp.integrations.public_urls import Resolver, resolve
from chatapp.knowledge.sources import pages, politeness
from chatapp.knowledge.sources.connector import KnowledgeSource as Connector
from chatapp.knowledge.sources.connector import SourceItem, Visit, VisitFailed
from chatapp.knowledge.sources.fetching import Fetcher, HttpStatusError
from chatapp.observability import count, logger

# Messages are sent inside the transaction that writes their rows (a failed send commits nothing), so
# a crawler can receive one before that commit is visible: it is put back with a short delay a few
# times rather than mistaken for one already handled (as ingestion does).
NOT_YET_VISIBLE_RETRIES = 5
NOT_YET_VISIBLE_DELAY_SECONDS = 2
SCHEDULE_PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
STORED = ("new", "changed", "unchanged")
ITEMS_PER_PAGE_LIMIT = 3  # items a sync may queue per page it may keep (links lead to failures too)


class CrawlMessage(BaseModel):
    company_id: uuid.UUID
    sync_id: uuid.UUID
    item_id: uuid.UUID | None = None  # None: start the sync
    requeues: int = 0  # times it arrived before the transaction that sent it was visible

    @classmethod
    def from_body(cls, body: str) -> CrawlMessage:
        try:
            return cls.model_validate_json(body)
        except ValidationError:
            raise InvalidInput("Not a crawl message.", code="invalid_crawl_message") from None


@dataclass
class Network:
    """How crawlers reach the web: the default HTTP client and the system resolver. Tests give a
    client whose connections to a public address land on a loopback server."""

    client: Any = None
    resolver: Resolver = resolve


network = Network()


def connector_for(source: KnowledgeSource, state: dict[str, Any]) -> Connector:
    settings = get_settings()
    pause = {"seconds": settings.crawl_min_interval_ms / 1000}
    fetcher = Fetcher(
        allow_http=source.allow_http,
        allow_loopback=settings.loopback_urls_allowed,
        pace=lambda host: politeness.wait_turn(host, pause["seconds"]),
        client=network.client,
        resolver=network.resolver,
    )
    if source.kind == "zendesk":
        from chatapp.knowledge.sources.zendesk import ZendeskSource

        return ZendeskSource.for_source(source, fetcher)
    from chatapp.knowledge.sources.web import WebSource

    web = WebSource(source.start_url, fetcher, state)
    pause["seconds"] = max(pause["seconds"], web.crawl_delay())
    return web


def _message(
    company_id: uuid.UUID, sync_id: uuid.UUID, item_id: uuid.UUID | None, requeues: int = 0
) -> dict[str, Any]:
    return {
        "company_id": str(company_id),
        "sync_id": str(sync_id),
        "item_id": str(item_id) if item_id else None,
        "requeues": requeues,
    }


def _not_yet_visible(db: Session, message: CrawlMessage) -> str | None:
    """When the message's row does not exist (yet): put it back, a few times, and say so."""
    model: Any = SourceSync if message.item_id is None else SourceSyncItem
    row_id = message.sync_id if message.item_id is None else message.item_id
    if db.get(model, row_id) is not None or message.requeues >= NOT_YET_VISIBLE_RETRIES:
        return None
    queues.send_crawl(
        [_message(message.company_id, message.sync_id, message.item_id, message.requeues + 1)],
        delay_seconds=NOT_YET_VISIBLE_DELAY_SECONDS,
    )
    return "requeued"


def request_sync(
    db: Session, source: KnowledgeSource, trigger: str, requested_by: uuid.UUID | None
) -> SourceSync:
    """The running sync of `source`, or a new one whose start is queued (inside `db`'s transaction:
    if the send fails nothing is committed)."""
    running = db.scalar(
        select(SourceSync).where(SourceSync.source_id == source.id, SourceSync.status == "running")
    )
    if running is not None:
        return running
    sync = SourceSync(
        company_id=source.company_id, source_id=source.id, trigger=trigger, requested_by=requested_by
    )
    db.add(sync)
    db.flush()
    period = SCHEDULE_PERIODS.get(source.schedule)
    source.next_sync_at = datetime.now(UTC) + period if period else None
    queues.send_crawl([_message(source.company_id, sync.id, None)])
    return sync


def process(message: CrawlMessage) -> str:
    context = TenantContext.company_service(message.company_id)
    try:
        outcome = _begin(context, message) if message.item_id is None else _visit(context, message)
    except politeness.NotYourTurn as wait:
        queues.send_crawl(
            [_message(message.company_id, message.sync_id, message.item_id)],
            delay_seconds=min(900, math.ceil(wait.wait_seconds)),
        )
        return "deferred"
    _finish_if_done(context, message.sync_id)
    return outcome


def _begin(context: TenantContext, message: CrawlMessage) -> str:
    with tenant_session(context) as db:
        sync, source = _running(db, message.sync_id)
        if sync is None:
            if requeued := _not_yet_visible(db, message):
                return requeued
            sync, source = _running(db, message.sync_id)  # it may have committed between the reads
        if sync is None or source is None or sync.state.get("started"):
            return "already started"
        connector = connector_for(source, {})
    try:
        start = connector.start()
    except VisitFailed as failed:
        with tenant_session(context) as db:
            db.execute(
                update(SourceSync)
                .where(SourceSync.id == message.sync_id, SourceSync.status == "running")
                .values(status="failed", error=str(failed)[:1000], finished_at=datetime.now(UTC))
            )
        count("SourceSyncsFailed")
        return "failed"
    with tenant_session(context) as db:
        sync, source = _running(db, message.sync_id, lock=True)
        if sync is None or source is None or sync.state.get("started"):
            return "already started"
        sync.state = {**start.state, "started": True}
        _add_items(db, source, sync, start.items, seeds=True)
    return "started"


def _running(
    db: Session, sync_id: uuid.UUID, *, lock: bool = False
) -> tuple[SourceSync | None, KnowledgeSource | None]:
    query = select(SourceSync).where(SourceSync.id == sync_id, SourceSync.status == "running")
    sync = db.scalar(query.with_for_update() if lock else query)
    if sync is None:
        return None, None
    return sync, db.get(KnowledgeSource, sync.source_id)


def _pending_item(
    db: Session, message: CrawlMessage, *, lock: bool = False
) -> tuple[SourceSync, KnowledgeSource, SourceSyncItem] | None:
    """The running sync, its source and the message's item while it is pending: one query."""
    query = (
        select(SourceSync, KnowledgeSource, SourceSyncItem)
        .join(KnowledgeSource, KnowledgeSource.id == SourceSync.source_id)
        .join(SourceSyncItem, SourceSyncItem.sync_id == SourceSync.id)
        .where(
            SourceSync.id == message.sync_id,
            SourceSync.status == "running",
            SourceSyncItem.id == message.item_id,
            SourceSyncItem.outcome == "pending",
        )
    )
    row = db.execute(query.with_for_update(of=SourceSyncItem) if lock else query).one_or_none()
    return (row[0], row[1], row[2]) if row else None


def _visit(context: TenantContext, message: CrawlMessage) -> str:
    with tenant_session(context) as db:
        found = _pending_item(db, message)
        if found is None:
            if requeued := _not_yet_visible(db, message):
                return requeued
            found = _pending_item(db, message)  # it may have committed between the reads
        if found is None:
            return "already visited"
        sync, source, item = found
        target = SourceItem(item.item_key, item.kind, dict(item.hint or {}))  # type: ignore[arg-type]
        known = pages.known_page(db, source.id, item.item_key) if item.kind == "page" else None
        # A page the source already keeps is always re-read; a new one only within the page limit.
        if item.kind == "page" and known is None and _count(db, sync.id, STORED) >= source.page_limit:
            return _record(db, item, "skipped", f"the source's page limit ({source.page_limit}) is reached")
        connector = connector_for(source, sync.state)
    try:
        visit: Visit | VisitFailed = connector.visit(target, known[1] if known else None)
    except VisitFailed as failed:
        visit = failed
    with tenant_session(context) as db:
        found = _pending_item(db, message, lock=True)
        if found is None:
            return "already visited"
        sync, source, item = found
        if isinstance(visit, VisitFailed):
            # A page that failed for now (not one that is gone) keeps its stored version.
            gone = isinstance(visit, HttpStatusError) and visit.status in (404, 410)
            item.file_id = known[0] if known and not gone else None
            return _record(db, item, visit.outcome, str(visit))
        _add_items(db, source, sync, list(visit.items))
        if visit.page is not None:
            try:
                links = [i.key for i in visit.items if i.kind == "page"]
                limits = effective_limits(db, source.company_id)
                version = item.hint.get("version") if item.hint else None
                outcome, item.file_id = pages.store(db, source, visit.page, limits, links, version)
            except pages.PageRefused as refused:
                return _record(db, item, "skipped", str(refused))
            return _record(db, item, outcome)
        if visit.not_modified and known is not None:
            pages.touch(db, known[0])
            item.file_id = known[0]
            return _record(db, item, "unchanged")
        if visit.skipped:
            return _record(db, item, "skipped", visit.skipped)
        return _record(db, item, "listed")


def _record(db: Session, item: SourceSyncItem, outcome: str, reason: str | None = None) -> str:
    item.outcome, item.reason, item.finished_at = (
        outcome,
        (reason or None) and reason[:1000],
        datetime.now(UTC),
    )
    return outcome


def _count(db: Session, sync_id: uuid.UUID, outcomes: tuple[str, ...]) -> int:
    return int(
        db.scalar(
            select(func.count(SourceSyncItem.id)).where(
                SourceSyncItem.sync_id == sync_id, SourceSyncItem.outcome.in_(outcomes)
            )
        )
        or 0
    )


def matches_patterns(url: str, include: list[str], exclude: list[str]) -> bool:
    """Include and exclude patterns are globs over the URL's path (and query): `/help/*`."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if any(fnmatch.fnmatchcase(path, pattern) for pattern in exclude):
        return False
    return not include or any(fnmatch.fnmatchcase(path, pattern) for pattern in include)


def _add_items(
    db: Session, source: KnowledgeSource, sync: SourceSync, items: list[SourceItem], *, seeds: bool = False
) -> None:
    """Insert the items this sync has not seen yet and queue a message for each one inserted."""
    patterned = source.kind == "web" and not seeds  # a start URL is always visited
    wanted = [
        i
        for i in items
        if i.kind == "listing"
        or not patterned
        or matches_patterns(i.key, source.include_patterns, source.exclude_patterns)
    ]
    if not wanted:
        return
    room = source.page_limit * ITEMS_PER_PAGE_LIMIT - _count_all(db, sync.id)
    rows = [
        {
            "company_id": source.company_id,
            "sync_id": sync.id,
            "item_key": item.key,
            "kind": item.kind,
            "hint": item.hint,
            "outcome": "pending",
            "file_id": None,
            "finished_at": None,
        }
        # In key order: two crawlers inserting overlapping links lock the unique index entries in
        # the same order, so neither waits on the other in a circle (a deadlock fails a message).
        for item in sorted(dict((i.key, i) for i in wanted).values(), key=lambda i: i.key)
    ][: max(0, room)]
    if not rows:
        return
    unchanged = _listed_unchanged(db, source, rows)
    inserted = db.execute(
        insert(SourceSyncItem)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["sync_id", "item_key"])
        .returning(SourceSyncItem.id, SourceSyncItem.item_key, SourceSyncItem.outcome)
    ).all()
    pending = [row.id for row in inserted if row.outcome == "pending"]
    if pending:
        queues.send_crawl([_message(source.company_id, sync.id, item_id) for item_id in pending])
    settled = [unchanged[row.item_key] for row in inserted if row.outcome == "unchanged"]
    if settled:
        for file_id, _ in settled:
            pages.touch(db, file_id)
        links = {link for _, kept in settled for link in kept}
        _add_items(db, source, sync, [SourceItem(link, "page") for link in sorted(links)])


def _listed_unchanged(
    db: Session, source: KnowledgeSource, rows: list[dict[str, Any]]
) -> dict[str, tuple[uuid.UUID, list[str]]]:
    """Pages whose listing (a sitemap's lastmod, Zendesk's updated_at) names the very version the
    source keeps: their rows are written "unchanged" at once, so a re-sync sends them no message and
    no request. Returns key -> (file id, the page's kept links)."""
    versions = {r["item_key"]: r["hint"].get("version") for r in rows if r["kind"] == "page"}
    versions = {key: version for key, version in versions.items() if version}
    if not versions:
        return {}
    found = db.execute(
        select(KnowledgeFile.id, KnowledgeFile.source_key, KnowledgeFile.metadata_).where(
            KnowledgeFile.source_id == source.id,
            KnowledgeFile.source_key.in_(list(versions)),
            KnowledgeFile.status != FileStatus.FAILED,  # a page that failed to index is read again
        )
    ).all()
    now = datetime.now(UTC)
    settled: dict[str, tuple[uuid.UUID, list[str]]] = {}
    for file_id, key, metadata in found:
        kept = metadata or {}
        if key and kept.get("listed_version") == versions[key]:
            settled[key] = (file_id, list(kept.get("links") or []))
    for row in rows:
        if row["item_key"] in settled:
            row |= {"outcome": "unchanged", "file_id": settled[row["item_key"]][0], "finished_at": now}
    return settled


def _count_all(db: Session, sync_id: uuid.UUID) -> int:
    return int(db.scalar(select(func.count(SourceSyncItem.id)).where(SourceSyncItem.sync_id == sync_id)) or 0)


def _partial_view(db: Session, sync_id: uuid.UUID) -> str | None:
    """Why this sync's view of the source is incomplete, so that pages it did not see must not
    count as gone; None when it saw the source whole."""
    listings_failed = db.scalar(
        select(func.count(SourceSyncItem.id)).where(
            SourceSyncItem.sync_id == sync_id,
            SourceSyncItem.kind == "listing",
            SourceSyncItem.outcome == "failed",
        )
    )
    if listings_failed:
        return "A listing could not be read: no page was counted missing in this sync."
    if not _count(db, sync_id, STORED):
        return "No page could be read: no page was counted missing in this sync."
    return None


def _finish_if_done(context: TenantContext, sync_id: uuid.UUID) -> None:
    with tenant_session(context) as db:
        pending = (
            select(SourceSyncItem.id)
            .where(SourceSyncItem.sync_id == sync_id, SourceSyncItem.outcome == "pending")
            .exists()
        )
        done = db.scalar(
            select(SourceSync.state["started"].as_boolean().is_(True) & ~pending).where(
                SourceSync.id == sync_id, SourceSync.status == "running"
            )
        )
        if not done:
            return
        finished = db.scalar(
            update(SourceSync)
            .where(SourceSync.id == sync_id, SourceSync.status == "running")
            .values(status="completed", finished_at=datetime.now(UTC))
            .returning(SourceSync.source_id)
        )
        if finished is None:
            return  # another invocation completed it
        doubt = _partial_view(db, sync_id)
        gone: list[str] = []
        if doubt:
            # A site that is down or a revoked token must not empty the knowledge base over two syncs.
            db.execute(update(SourceSync).where(SourceSync.id == sync_id).values(error=doubt))
            removed = 0
        else:
            gone = pages.sweep_missing(db, finished, sync_id)
            removed = len(gone)
            db.execute(update(SourceSync).where(SourceSync.id == sync_id).values(removed_count=removed))
    pages.delete_objects(gone)
    logger.info("source sync completed", extra={"sync_id": str(sync_id), "removed": removed})
