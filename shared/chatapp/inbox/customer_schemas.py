"""Requests and responses of customer profiles (console)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatapp.inbox.schemas import ConversationSummaryOut


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    external_id: str | None
    email: str | None
    phone: str | None
    name: str | None
    avatar_url: str | None
    tags: list[Any]
    metadata: dict[str, Any] = Field(
        default_factory=dict,
        description="What is known about the customer, e.g. their language (detected from what they wrote).",
    )
    notes: str | None
    channel_ids: dict[str, Any]
    total_conversations: int | None
    last_conversation_at: datetime | None
    created_at: datetime


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=255)
    tags: list[str] | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10_000)


class CustomerErasureOut(BaseModel):
    customer_id: uuid.UUID
    conversations_removed: int
    messages_removed: int
    attachments_removed: int


class CustomerProfileOut(CustomerOut):
    """The inbox's customer panel: the profile and their past conversations, newest first."""

    conversations: list[ConversationSummaryOut]
