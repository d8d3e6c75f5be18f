"""Section 5: knowledge categories, uploaded files and the chunk rows that mirror Qdrant points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
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


# A file's source is named by a foreign key: its table must be in the metadata whenever files are
# flushed, also in a function that never imports sources (the ingest worker). Imported last: the
# sources module imports this one.
from chatapp.db.models import sources  # noqa: E402, F401
