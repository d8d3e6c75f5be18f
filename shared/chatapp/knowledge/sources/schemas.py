"""Requests and responses of `/v1/knowledge/sources`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Pattern = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^/")]
Patterns = Annotated[list[Pattern], Field(max_length=20)]
Schedule = Literal["daily", "weekly", "manual"]
SourceKind = Literal["web", "zendesk"]


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: SourceKind = "web"
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="web: the start page or a sitemap (…/sitemap.xml); zendesk: the help centre "
        "(https://acme.zendesk.com).",
    )
    category_id: uuid.UUID
    include_patterns: Patterns = Field(
        default_factory=list, description="Globs over the URL path; when given, only matching pages: /help/*"
    )
    exclude_patterns: Patterns = Field(default_factory=list, description="Globs over the URL path: /blog/*")
    page_limit: int = Field(default=500, ge=1, le=20_000)
    schedule: Schedule = "manual"
    allow_http: bool = Field(default=False, description="Also fetch plain http:// pages (https otherwise).")
    locale: str | None = Field(default=None, max_length=20, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    zendesk_email: str | None = Field(default=None, max_length=254)
    zendesk_api_token: SecretStr | None = Field(default=None, description="Only for restricted help centres.")


class SourcePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    category_id: uuid.UUID | None = None
    include_patterns: Patterns | None = None
    exclude_patterns: Patterns | None = None
    page_limit: int | None = Field(default=None, ge=1, le=20_000)
    schedule: Schedule | None = None
    allow_http: bool | None = None


class SyncOut(BaseModel):
    id: uuid.UUID
    source_id: uuid.UUID
    status: Literal["running", "completed", "failed"]
    trigger: Literal["manual", "schedule"]
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    pages_found: int = Field(description="Pages this sync queued (listings not counted).")
    new: int
    changed: int
    unchanged: int
    failed: int
    skipped: int
    removed: int
    pending: int


class SourceOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: SourceKind
    url: str
    category_id: uuid.UUID
    include_patterns: list[str]
    exclude_patterns: list[str]
    page_limit: int
    schedule: Schedule
    allow_http: bool
    locale: str | None
    has_credentials: bool
    next_sync_at: datetime | None
    created_at: datetime
    page_count: int
    last_sync: SyncOut | None


class SyncItemOut(BaseModel):
    id: uuid.UUID
    key: str
    kind: Literal["page", "listing"]
    outcome: str
    reason: str | None
    file_id: uuid.UUID | None
    finished_at: datetime | None


class SyncItemListOut(BaseModel):
    items: list[SyncItemOut]
    next_cursor: str | None
