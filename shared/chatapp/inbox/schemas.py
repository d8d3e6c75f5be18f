"""Requests and responses of the human inbox (console): escalations, takeover, notes, presence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatapp.conversations.schemas import ConversationFacts
from chatapp.db.enums import (
    EscalationPriority,
    EscalationStatus,
    SupportAgentPresence,
)


class EscalationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    agent_id: uuid.UUID
    assigned_to: uuid.UUID | None
    reason: str
    trigger_type: str
    trigger_details: dict[str, Any]
    priority: EscalationPriority
    status: EscalationStatus
    resolution_notes: str | None
    wait_time: int | None
    handle_time: int | None
    created_at: datetime


class ConversationSummaryOut(ConversationFacts):
    assigned_agent_id: uuid.UUID | None


class InboxMessageOut(BaseModel):
    id: uuid.UUID
    role: str
    content: str
    sender_id: uuid.UUID | None
    created_at: datetime
    attachments: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    metadata: dict[str, Any]
    sentiment: float | None


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    content: str
    created_at: datetime


class ConversationDetailOut(ConversationSummaryOut):
    summary: str | None
    context: dict[str, Any]
    average_sentiment: float | None
    messages: list[InboxMessageOut]  # the latest page, oldest first
    messages_cursor: str | None = Field(
        description="Pass as `before` for the page of older messages; null at the conversation's start."
    )
    notes: list[NoteOut]
    escalations: list[EscalationOut]


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=4000)
    suggestion_id: uuid.UUID | None = Field(
        default=None, description="The copilot suggestion this reply started from, sent as it was or edited."
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=5000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str | None = Field(default=None, max_length=5000)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: SupportAgentPresence | None = None
    status_message: str | None = Field(default=None, max_length=255)
    max_concurrent_chats: int | None = Field(default=None, ge=0, le=100)


class PresenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    status: SupportAgentPresence
    status_message: str | None
    max_concurrent_chats: int | None
    current_chat_count: int | None
    last_active_at: datetime | None
