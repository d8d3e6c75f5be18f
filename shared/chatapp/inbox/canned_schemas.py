"""Requests and responses of canned responses: the team's saved replies, expanded by shortcut."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatapp.fields import refuse_null

SHORTCUT_PATTERN = r"^[/#][a-z0-9][a-z0-9_-]{0,48}$"


class CannedResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=255)
    content: str = Field(min_length=1, max_length=5000)
    shortcut: str | None = Field(default=None, pattern=SHORTCUT_PATTERN)
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=20)
    is_global: bool = True
    agent_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    is_active: bool = True


class CannedResponsePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=255)
    content: str | None = Field(default=None, min_length=1, max_length=5000)
    shortcut: str | None = Field(default=None, pattern=SHORTCUT_PATTERN)
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=20)
    is_global: bool | None = None
    agent_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    is_active: bool | None = None

    _not_null = refuse_null("title", "content", "tags", "agent_ids")


class CannedResponseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    content: str
    shortcut: str | None
    category: str | None
    tags: list[Any]
    is_global: bool | None
    agent_ids: list[Any]
    usage_count: int | None
    last_used_at: datetime | None
    is_active: bool | None
    created_by: uuid.UUID
    created_at: datetime
