"""What the conversation engine takes in from any surface (who the customer is), and the facts of
a conversation that every view of it shows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from chatapp.db.enums import ChannelType, ConversationStatus


class CustomerIdentity(BaseModel):
    """Who the visitor is, as the company's site knows them (all optional).

    `user_hash` is the company's signature of the identity (`conversations/visitor_identity`): the hex
    HMAC-SHA256 of `external_id`, or of the lower-cased `email` when there is no external id, keyed with
    the company's identity secret. Without a valid one the identity is only the visitor's claim.
    """

    model_config = ConfigDict(extra="forbid")

    external_id: str | None = Field(default=None, min_length=1, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50, pattern=r"^[0-9+() .-]{3,50}$")
    metadata: dict[str, Any] = Field(default_factory=dict)
    user_hash: str | None = Field(default=None, max_length=128)

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(str(value)) > 4000:
            raise ValueError("metadata is limited to about 4 KB")
        return value


class ConversationFacts(BaseModel):
    """Who, where and how far: the inbox and the public API each add what their readers need."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID
    channel: ChannelType
    status: ConversationStatus
    customer_id: str | None
    customer_name: str | None
    customer_email: str | None
    message_count: int | None
    language: str | None = Field(
        default=None, description="The customer's language (ISO 639-1), given by the page or detected."
    )
    started_at: datetime
    last_message_at: datetime
