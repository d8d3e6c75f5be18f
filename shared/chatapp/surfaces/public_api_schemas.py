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


class AnalyticsSummaryOut(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    conversations: int = Field(description="Conversations started in the range.")
    messages: int = Field(description="Customer, AI and human messages sent in the range.")
    escalations: int = Field(description="Escalations opened in the range.")
    ai_responses: int
    tokens: int
    usage_from: datetime | None = Field(
        description="AI responses and tokens are metered per calendar month: these figures cover the "
        "months overlapping the range, from `usage_from` to `usage_to`."
    )
    usage_to: datetime | None

    model_config = ConfigDict(populate_by_name=True)
