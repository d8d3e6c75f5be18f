"""Requests and responses of the knowledge API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatapp.db.enums import FileStatus
from chatapp.fields import refuse_null

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The column is a PostgreSQL integer: a larger order would fail in the database instead of here.
SortOrder = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    slug: str | None = Field(default=None, max_length=100, pattern=SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)
    parent_id: uuid.UUID | None = None
    sort_order: SortOrder = 0


class CategoryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    slug: str | None = Field(default=None, max_length=100, pattern=SLUG_PATTERN)
    description: str | None = Field(default=None, max_length=5000)
    parent_id: uuid.UUID | None = None
    sort_order: SortOrder | None = None

    _not_null = refuse_null("name", "slug")


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    parent_id: uuid.UUID | None
    sort_order: int | None
    created_at: datetime
    updated_at: datetime


class AgentCategoriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category_ids: list[uuid.UUID] = Field(max_length=500)


class AgentCategoriesOut(BaseModel):
    agent_id: uuid.UUID
    category_ids: list[uuid.UUID]


class UploadRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category_id: uuid.UUID
    filename: str = Field(min_length=1, max_length=255)
    mime_type: str | None = Field(default=None, max_length=100)
    size: int = Field(gt=0)


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: uuid.UUID
    category_id: uuid.UUID
    original_filename: str
    mime_type: str
    size: int
    status: FileStatus
    processing_error: str | None
    chunk_count: int | None
    metadata: dict[str, Any] | None = Field(default=None, validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime
    indexed_at: datetime | None
    # Pages kept in sync from a knowledge source (None for uploads).
    source_id: uuid.UUID | None = None
    source_url: str | None = None
    title: str | None = None
    last_synced_at: datetime | None = None


class UploadTicketOut(BaseModel):
    file: FileOut
    upload_url: str
    upload_method: str
    upload_headers: dict[str, str]
    expires_in: int


class FileListOut(BaseModel):
    items: list[FileOut]
    next_cursor: str | None


class RetrievalTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000)
    max_results: int | None = Field(default=None, ge=1, le=50)
    # Either side alone, to see what each contributes; agents always search "hybrid".
    mode: Literal["hybrid", "dense", "text"] = "hybrid"


class RetrievedChunkOut(BaseModel):
    chunk_id: uuid.UUID
    file_id: uuid.UUID
    filename: str
    category_id: uuid.UUID
    text: str
    page_number: int | None
    section_title: str | None
    score: float  # blended dense and BM25 scores, in [0, 1], relative to this question's candidates
    dense_score: float | None  # cosine similarity with the question
    lexical_score: float | None  # BM25 with the company's own term statistics; None when no term matched
    confidence: float  # calibrated probability that this passage answers the question (0..1)
    url: str | None = None  # the web page a synced passage came from (knowledge sources)


class RetrievalOut(BaseModel):
    query: str
    results: list[RetrievedChunkOut]


class StorageUsageOut(BaseModel):
    """The company's usage against its plan this month (UTC calendar month)."""

    plan: str
    stored_bytes: int
    messages_this_month: int  # customer, AI and human messages in conversations
    messages_per_month: int | None  # the plan's limit; None is unlimited
    storage_limit_bytes: int | None
    max_file_size: int | None
    limits: dict[str, Any]
