"""Requests and responses of the public REST API (authenticated by company API keys)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chatapp.conversations.schemas import ConversationFacts
from chatapp.db.enums import ConversationStatus


class PublicConversationOut(ConversationFacts):
    external_id: str | None
    resolved_at: datetime | None


class PublicMessageOut(BaseModel):
    id: uuid.UUID
    role: Literal["user", "assistant", "human_agent"]
    content: str
    created_at: datetime
    sender_name: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list)


class ConversationPageOut(BaseModel):
    items: list[PublicConversationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class PublicConversationDetailOut(PublicConversationOut):
    messages: list[PublicMessageOut]  # the latest page, oldest first
    messages_cursor: str | None = Field(
        description="Pass as `before` for the page of older messages; null at the conversation's start."
    )


class PublicMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
    sender: Literal["customer", "human_agent"] = Field(default="customer", alias="as")


class PublicSendOut(BaseModel):
    status: ConversationStatus
    messages: list[PublicMessageOut] = Field(description="The message sent, then any replies to it.")
    escalated: bool = False
