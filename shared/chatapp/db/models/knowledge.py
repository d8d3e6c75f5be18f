"""Section 5: knowledge categories, uploaded files and the chunk rows that mirror Qdrant points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_object, updated_at, uuid_pk
from chatapp.db.enums import FileStatus, file_status

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import core  # noqa: F401


class KnowledgeCategory(Base):
    __tablename__ = "chatapp_knowledge_categories"
    __table_args__ = (
        Index("knowledge_cat_company_idx", "company_id"),
        # Unique (the design has a plain index): a category slug names one category per company.
        Index("knowledge_cat_company_slug_idx", "company_id", "slug", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_knowledge_categories.id"))
    sort_order: Mapped[int | None] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class KnowledgeFile(Base):
    __tablename__ = "chatapp_knowledge_files"
    __table_args__ = (
        Index("knowledge_files_company_idx", "company_id"),
        Index("knowledge_files_category_idx", "category_id"),
        Index("knowledge_files_status_idx", "status"),
        Index("idx_knowledge_files_pending", "created_at", postgresql_where=text("status = 'pending'")),
        Index(
            "knowledge_files_source_key_idx",
            "source_id",
            "source_key",
            unique=True,
            postgresql_where=text("source_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_knowledge_categories.id"))
    filename: Mapped[str] = mapped_column(String(255))
    original_filename: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(String(500))
    storage_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[FileStatus] = mapped_column(file_status, server_default=FileStatus.PENDING.value)
    processing_error: Mapped[str | None] = mapped_column(Text)
    chunk_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    qdrant_collection: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    indexed_at: Mapped[datetime | None]
    # Not in the design: bumped by every (re-)index request; ingestion messages carry it, so a stale
    # or duplicate delivery is recognised and acknowledged without redoing the work.
    ingest_generation: Mapped[int] = mapped_column(Integer, server_default="0")
    # Not in the design (issue #21): a page kept in sync from a knowledge source. `source_key` names
    # it within the source (its canonical URL, or the connector's id); `change_token` is what the
    # source says changes with it (ETag / Last-Modified, Zendesk's updated_at); `content_hash` is
    # of the text we index, so an unchanged page costs no embedding; `missed_syncs` counts
    # consecutive completed syncs that did not find it (removed at two).
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_knowledge_sources.id", ondelete="SET NULL")
    )
    source_key: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(500))
    change_token: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[datetime | None]
    missed_syncs: Mapped[int] = mapped_column(Integer, server_default="0")


class KnowledgeChunk(Base):
    __tablename__ = "chatapp_knowledge_chunks"
    __table_args__ = (
        Index("knowledge_chunks_file_idx", "file_id"),
        Index("knowledge_chunks_company_idx", "company_id"),
        Index("knowledge_chunks_qdrant_idx", "qdrant_id"),
        # Not in the design: one row per position makes "exactly one set of chunks" a database rule.
        Index("knowledge_chunks_file_index_idx", "file_id", "chunk_index", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_knowledge_files.id", ondelete="CASCADE"))
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    chunk_index: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int | None] = mapped_column(Integer)
    end_offset: Mapped[int | None] = mapped_column(Integer)
    page_number: Mapped[int | None] = mapped_column(Integer)
    section_title: Mapped[str | None] = mapped_column(String(255))
    qdrant_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = created_at()
    # Not in the design: the chunk's distinct BM25 term ids (chatapp.knowledge.lexical); triggers
    # count them into chatapp_knowledge_term_stats. NULL for chunks indexed before migration 0015.
    lexical_terms: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))


class KnowledgeTermStat(Base):
    """Not in the design: how many of a company's chunks contain a term (BM25's document frequency);
    term id 0 counts all of the company's chunks.

    Kept by triggers on chatapp_knowledge_chunks (migration 0015), never written by the application.
    """

    __tablename__ = "chatapp_knowledge_term_stats"

    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_companies.id", ondelete="CASCADE"), primary_key=True
    )
    term_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chunk_count: Mapped[int] = mapped_column(Integer)


# Not in the design (issue #21): knowledge sources that stay in sync with a website or a help centre,
# each sync run, the items one sync visits, and the per-host politeness clock the crawlers share. They
# live with the files they produce: a file names its source, and a sync item names the file it found.

SOURCE_KINDS = ("web", "zendesk")
SCHEDULES = ("daily", "weekly", "manual")
SYNC_STATUSES = ("running", "completed", "failed")
SYNC_TRIGGERS = ("manual", "schedule")
ITEM_KINDS = ("page", "listing")
# pending: queued; new / changed / unchanged: a page, by what the sync found; listed: a listing
# (sitemap, API page) that was read; failed: with a reason; skipped: outside the rules (robots.txt,
# another host, a pattern, the page limit), with the reason.
ITEM_OUTCOMES = ("pending", "new", "changed", "unchanged", "listed", "failed", "skipped")


class KnowledgeSource(Base):
    __tablename__ = "chatapp_knowledge_sources"
    __table_args__ = (
        CheckConstraint(f"kind IN {SOURCE_KINDS}", name="knowledge_sources_kind_check"),
        CheckConstraint(f"schedule IN {SCHEDULES}", name="knowledge_sources_schedule_check"),
        Index("knowledge_sources_company_idx", "company_id", "created_at"),
        Index("knowledge_sources_due_idx", "schedule", "next_sync_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_knowledge_categories.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # web: the start page or a sitemap; zendesk: the help centre's address (https://acme.zendesk.com)
    start_url: Mapped[str] = mapped_column(String(2000))
    include_patterns: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    exclude_patterns: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    page_limit: Mapped[int] = mapped_column(Integer, server_default="500")
    schedule: Mapped[str] = mapped_column(String(16), server_default="manual")
    allow_http: Mapped[bool] = mapped_column(Boolean, server_default="false")
    settings: Mapped[dict[str, Any]] = json_object(nullable=False)  # e.g. Zendesk's locale
    credentials: Mapped[str | None] = mapped_column(Text)  # sealed (integrations/secret_box)
    next_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SourceSync(Base):
    __tablename__ = "chatapp_source_syncs"
    __table_args__ = (
        CheckConstraint(f"status IN {SYNC_STATUSES}", name="source_syncs_status_check"),
        CheckConstraint(f"trigger IN {SYNC_TRIGGERS}", name="source_syncs_trigger_check"),
        Index("source_syncs_source_idx", "source_id", "started_at"),
        # One running sync per source: a second request while one runs gets that one.
        Index(
            "source_syncs_one_running_idx",
            "source_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_knowledge_sources.id", ondelete="CASCADE")
    )
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), server_default="running")
    removed_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # What the connector worked out when the sync started and every visit needs (robots.txt rules)
    state: Mapped[dict[str, Any]] = json_object(nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SourceSyncItem(Base):
    __tablename__ = "chatapp_source_sync_items"
    __table_args__ = (
        CheckConstraint(f"kind IN {ITEM_KINDS}", name="source_sync_items_kind_check"),
        CheckConstraint(f"outcome IN {ITEM_OUTCOMES}", name="source_sync_items_outcome_check"),
        # A URL is visited once per sync, however many pages link to it: fan-out de-duplicates here.
        Index("source_sync_items_key_idx", "sync_id", "item_key", unique=True),
        Index("source_sync_items_outcome_idx", "sync_id", "outcome"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    sync_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_source_syncs.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(Text)  # a URL, or a connector's own id
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16), server_default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    hint: Mapped[dict[str, Any]] = json_object(nullable=False)  # what a listing said of it (lastmod, ...)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_knowledge_files.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CrawlHost(Base):
    """When the next request to a host may start, for every crawler invocation of every company
    (politeness is owed to the host, whoever asks)."""

    __tablename__ = "chatapp_crawl_hosts"

    host: Mapped[str] = mapped_column(String(300), primary_key=True)
    next_request_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
