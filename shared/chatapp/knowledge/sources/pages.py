"""A source's pages as knowledge files: new, changed, unchanged, and removed when they disappear.

A page is a knowledge file whose `source_id` and `source_key` name it. Its stored object is the
page's main content as clean HTML, indexed by the ordinary ingestion pipeline (generation bump,
queue message), so a changed page is re-indexed exactly as a re-uploaded file is. Unchanged
content (the same hash) costs no write to storage and no embedding.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chatapp.billing.quotas import EffectiveLimits, require_room, require_storage_for
from chatapp.db.enums import FileStatus
from chatapp.db.models.knowledge import KnowledgeFile, KnowledgeSource, SourceSyncItem
from chatapp.errors import LimitExceeded
from chatapp.integrations import storage
from chatapp.knowledge import vectors
from chatapp.knowledge.files import request_indexing
from chatapp.knowledge.sources.connector import KnownPage, Page
from chatapp.text import slugify

MISSES_BEFORE_REMOVAL = 2
MAX_KEPT_LINKS = 1000  # a page's links, kept to re-visit them when the page answers 304


class PageRefused(Exception):
    """A plan limit keeps this page out (recorded on the item as skipped, with the reason)."""


def known_page(db: Session, source_id: uuid.UUID, key: str) -> tuple[uuid.UUID, KnownPage] | None:
    row = db.execute(
        select(
            KnowledgeFile.id, KnowledgeFile.change_token, KnowledgeFile.content_hash, KnowledgeFile.metadata_
        ).where(KnowledgeFile.source_id == source_id, KnowledgeFile.source_key == key)
    ).one_or_none()
    if row is None:
        return None
    links = tuple((row.metadata_ or {}).get("links") or ())
    return row.id, KnownPage(row.change_token, row.content_hash, links)


def source_pages_in_use(db: Session, company_id: uuid.UUID) -> int:
    return int(
        db.scalar(
            select(func.count(KnowledgeFile.id)).where(
                KnowledgeFile.company_id == company_id, KnowledgeFile.source_id.is_not(None)
            )
        )
        or 0
    )


def _storage_key(company_id: uuid.UUID, file_id: uuid.UUID, url: str) -> str:
    return f"{company_id}/{file_id}/{slugify(url.split('://', 1)[-1], max_length=120) or 'page'}.html"


def store(
    db: Session,
    source: KnowledgeSource,
    page: Page,
    limits: EffectiveLimits,
    links: list[str],
    listed_version: str | None = None,
) -> tuple[str, uuid.UUID]:
    """("new" | "changed" | "unchanged", the file's id). PageRefused when a limit keeps it out.
    `links`: the page's links, kept for syncs that find the page unchanged; `listed_version`: what
    the listing said of this version (lastmod), so a later listing saying the same skips it."""
    metadata = {"links": links[:MAX_KEPT_LINKS], "listed_version": listed_version}
    content_hash = hashlib.sha256(page.html).hexdigest()
    now = datetime.now(UTC)
    row = db.scalar(
        select(KnowledgeFile)
        .where(KnowledgeFile.source_id == source.id, KnowledgeFile.source_key == page.key)
        .with_for_update()
    )
    title = (page.title or page.url)[:500]
    if row is not None and row.content_hash == content_hash and row.status is not FileStatus.FAILED:
        row.change_token, row.title, row.last_synced_at, row.missed_syncs = page.change_token, title, now, 0
        row.metadata_ = {**(row.metadata_ or {}), **metadata}
        if row.category_id != source.category_id:  # the source was moved to another category
            row.category_id = source.category_id
        return "unchanged", row.id
    try:
        require_storage_for(db, source.company_id, limits, len(page.html) - (row.size if row else 0))
        if row is None:
            require_room(
                db,
                limits,
                "webSourcePages",
                used=source_pages_in_use(db, source.company_id),
                code="web_source_page_limit_reached",
                what=f"Your plan keeps at most {limits.number('webSourcePages')} pages from web sources.",
            )
    except LimitExceeded as refused:
        raise PageRefused(str(refused)) from None
    if row is None:
        file_id = uuid.uuid4()
        key = _storage_key(source.company_id, file_id, page.url)
        row = KnowledgeFile(
            id=file_id,
            company_id=source.company_id,
            category_id=source.category_id,
            filename=key.rsplit("/", 1)[-1],
            original_filename=title[:255],
            mime_type="text/html",
            size=len(page.html),
            storage_path=key,
            status=FileStatus.PENDING,
            source_id=source.id,
            source_key=page.key,
        )
        db.add(row)
        outcome = "new"
    else:
        outcome = "changed"
    row.source_url, row.title, row.change_token = page.url, title, page.change_token
    row.content_hash, row.size, row.last_synced_at, row.missed_syncs = content_hash, len(page.html), now, 0
    row.category_id = source.category_id
    row.metadata_ = {**(row.metadata_ or {}), **metadata}
    db.flush()
    storage.put(row.storage_path, page.html, "text/html")
    request_indexing(db, row)
    return outcome, row.id


def touch(db: Session, file_id: uuid.UUID) -> None:
    """The source said the page has not changed (HTTP 304): it was seen."""
    db.execute(
        update(KnowledgeFile)
        .where(KnowledgeFile.id == file_id)
        .values(last_synced_at=datetime.now(UTC), missed_syncs=0)
    )


def sweep_missing(db: Session, source_id: uuid.UUID, sync_id: uuid.UUID) -> list[str]:
    """After a completed sync: every page it did not see has missed one more sync; those that
    missed MISSES_BEFORE_REMOVAL in a row are removed (vectors, row). Returns the storage keys of
    the removed pages, for the caller to delete once its transaction has committed."""
    seen = select(SourceSyncItem.file_id).where(
        SourceSyncItem.sync_id == sync_id, SourceSyncItem.file_id.is_not(None)
    )
    db.execute(
        update(KnowledgeFile)
        .where(KnowledgeFile.source_id == source_id, KnowledgeFile.id.not_in(seen))
        .values(missed_syncs=KnowledgeFile.missed_syncs + 1)
    )
    gone = list(
        db.scalars(
            select(KnowledgeFile).where(
                KnowledgeFile.source_id == source_id, KnowledgeFile.missed_syncs >= MISSES_BEFORE_REMOVAL
            )
        )
    )
    return [remove(db, row) for row in gone]


def remove(db: Session, row: KnowledgeFile) -> str:
    """Vectors and row; returns the storage key, deleted by the caller after its commit (as
    `files.delete_file` does), so a failed commit never leaves a row whose object is gone."""
    vectors.for_company(row.company_id).delete_file(row.id)
    db.delete(row)
    return row.storage_path


def delete_objects(keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)
