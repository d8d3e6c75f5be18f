"""Section 4: conversations, messages, internal notes, escalations and customers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, updated_at, uuid_pk
from chatapp.db.enums import (
    ChannelType,
    ConversationStatus,
    EscalationPriority,
    EscalationStatus,
    MessageRole,
    channel_type,
    conversation_status,
    escalation_priority,
    escalation_status,
    message_role,
)

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import agents, core  # noqa: F401


class Conversation(Base):
    __tablename__ = "chatapp_conversations"
    __table_args__ = (
        Index("conversations_company_idx", "company_id"),
        Index("conversations_agent_idx", "agent_id"),
        Index("conversations_status_idx", "status"),
        Index("conversations_channel_idx", "channel"),
        Index("conversations_company_agent_idx", "company_id", "agent_id"),
        Index("conversations_last_message_idx", "last_message_at"),
        Index("conversations_session_token_idx", "session_token"),
        Index(
            "idx_conversations_company_agent_status",
            "company_id",
            "agent_id",
            "status",
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id"))
    session_token: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[ChannelType] = mapped_column(channel_type)
    customer_id: Mapped[str | None] = mapped_column(String(255))
    customer_name: Mapped[str | None] = mapped_column(String(255))
    customer_email: Mapped[str | None] = mapped_column(String(255))
    customer_phone: Mapped[str | None] = mapped_column(String(50))
    customer_metadata: Mapped[dict[str, Any] | None] = json_object()
    external_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ConversationStatus] = mapped_column(
        conversation_status, server_default=ConversationStatus.ACTIVE.value
    )
    is_human_agent: Mapped[bool | None] = mapped_column(server_default=false())
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    context: Mapped[dict[str, Any] | None] = json_object()
    summary: Mapped[str | None] = mapped_column(Text)
    message_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    ai_message_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    human_message_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    average_sentiment: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    started_at: Mapped[datetime] = created_at()
    last_message_at: Mapped[datetime] = created_at()
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    # Not in the design's column list, but its section 12 partial index filters on it.
    deleted_at: Mapped[datetime | None]
    # Not in the design (migration 0014): the widget upload tickets given, capping the conversation
    # and, summed, the company's attachment storage (plan limit attachmentStorageGb).
    attachment_count: Mapped[int] = mapped_column(Integer, server_default="0")
    attachment_bytes: Mapped[int] = mapped_column(BigInteger, server_default="0")
    # Not in the design (migration 0018): a test run's conversation, through the real engine but
    # counted nowhere a customer's is (inbox, queue, analytics, public API, webhooks, usage).
    is_sandbox: Mapped[bool] = mapped_column(server_default=false(), default=False)
    # Not in the design (migration 0022): the customer's language (`chatapp.languages`), given by the
    # host page (`lang`) or detected from what the customer wrote; answers and system texts use it.
    language: Mapped[str | None] = mapped_column(String(16))


class Message(Base):
    __tablename__ = "chatapp_messages"
    __table_args__ = (
        Index("messages_conversation_idx", "conversation_id"),
        Index("messages_role_idx", "role"),
        Index("messages_created_at_idx", "created_at"),
        Index("messages_conv_created_idx", "conversation_id", "created_at"),
        Index("idx_messages_conversation_created", "conversation_id", text("created_at DESC")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    role: Mapped[MessageRole] = mapped_column(message_role)
    content: Mapped[str] = mapped_column(Text)
    sender_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    attachments: Mapped[list[Any] | None] = json_array()
    tool_calls: Mapped[list[Any] | None] = json_array()
    # `metadata` is reserved by SQLAlchemy's declarative base; the column keeps the design's name.
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    sentiment: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    created_at: Mapped[datetime] = created_at()


class ConversationNote(Base):
    __tablename__ = "chatapp_conversation_notes"
    __table_args__ = (Index("notes_conversation_idx", "conversation_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_users.id"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Escalation(Base):
    __tablename__ = "chatapp_escalations"
    __table_args__ = (
        Index("escalations_conversation_idx", "conversation_id"),
        Index("escalations_company_idx", "company_id"),
        Index("escalations_assigned_to_idx", "assigned_to"),
        Index("escalations_status_idx", "status"),
        Index("escalations_company_status_idx", "company_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id"))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    reason: Mapped[str] = mapped_column(String(255))
    # 'keyword_trigger' | 'sentiment' | 'confidence' | 'explicit_request' | 'manual'
    trigger_type: Mapped[str] = mapped_column(String(50))
    trigger_details: Mapped[dict[str, Any] | None] = json_object()
    priority: Mapped[EscalationPriority] = mapped_column(
        escalation_priority, server_default=EscalationPriority.MEDIUM.value
    )
    status: Mapped[EscalationStatus] = mapped_column(
        escalation_status, server_default=EscalationStatus.PENDING.value
    )
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    wait_time: Mapped[int | None] = mapped_column(Integer)
    handle_time: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Customer(Base):
    __tablename__ = "chatapp_customers"
    __table_args__ = (
        Index("customers_company_idx", "company_id"),
        Index("customers_email_idx", "email"),
        Index("customers_phone_idx", "phone"),
        Index("customers_company_email_idx", "company_id", "email"),
        # Not in the design: the widget and channels match returning customers by external id.
        Index(
            "customers_company_external_uidx",
            "company_id",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str | None] = mapped_column(String(255))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    tags: Mapped[list[Any] | None] = json_array()
    notes: Mapped[str | None] = mapped_column(Text)
    total_conversations: Mapped[int | None] = mapped_column(Integer, server_default="0")
    last_conversation_at: Mapped[datetime | None]
    channel_ids: Mapped[dict[str, Any] | None] = json_object()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
