"""Requests and responses of the public widget API (a browser on a company's site is the caller)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chatapp.agents.schemas import WidgetAppearance
from chatapp.conversations.schemas import CustomerIdentity
from chatapp.db.enums import ConversationStatus


class PageContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=500)
    referrer: str | None = Field(default=None, max_length=2000)
    locale: str | None = Field(default=None, max_length=20)


class WidgetPublicConfigOut(WidgetAppearance):
    """What the widget script renders: appearance and behaviour, nothing internal."""

    agent_id: uuid.UUID
    agent_name: str
    accepting_messages: bool  # false when the agent is paused or the company cannot chat now


class StartConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: CustomerIdentity | None = None
    page: PageContext | None = None
    lang: str | None = Field(
        default=None,
        max_length=35,
        description=(
            "The host page's language (a BCP 47 tag such as de-CH): answers use it until the "
            "customer has written enough to tell their own."
        ),
    )


class CitationOut(BaseModel):
    number: int
    filename: str
    page_number: int | None = None
    section_title: str | None = None
    chunk_id: uuid.UUID
    file_id: uuid.UUID
    url: str | None = Field(
        default=None, description="The web page the passage came from, for synced sources."
    )


class AttachmentOut(BaseModel):
    type: str
    name: str
    size: int
    mime_type: str = Field(alias="mimeType")
    key: str

    model_config = ConfigDict(populate_by_name=True)


class MessageOut(BaseModel):
    id: uuid.UUID
    role: Literal["user", "assistant", "human_agent", "system"]
    content: str
    created_at: datetime
    attachments: list[dict[str, Any]] = Field(default_factory=list)
    citations: list[CitationOut] = Field(default_factory=list)
    sender_name: str | None = None


class StartConversationOut(BaseModel):
    conversation_id: uuid.UUID
    session_token: str  # the visitor's bearer token for this conversation; shown once
    expires_at: datetime
    status: ConversationStatus
    messages: list[MessageOut]


class SendMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=4000)
    attachment_keys: list[str] = Field(default_factory=list, max_length=5)

    @field_validator("content")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a message needs some text")
        return value.strip()


class MessagesOut(BaseModel):
    status: ConversationStatus
    messages: list[MessageOut]
    cursor: str | None  # pass back as `after` to get only newer messages


class SendMessageOut(MessagesOut):
    escalated: bool
    streaming: bool = Field(
        default=False,
        description="The answer is coming as frames on the conversation's open socket (HTTP 202); "
        "`messages` then holds the customer's message only (docs/realtime.md).",
    )


class AttachmentRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    mime_type: str = Field(min_length=3, max_length=100)
    size: int = Field(gt=0)


class AttachmentTicketOut(BaseModel):
    key: str  # send it in `attachment_keys` with the next message
    upload_url: str
    upload_headers: dict[str, str]
    expires_in: int


class HandoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000)


class EndConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int | None = Field(default=None, ge=1, le=5)
    feedback: str | None = Field(default=None, max_length=2000)
