"""Section 7: channel connections, widget settings, company API keys and outbound webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, false, true
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, updated_at, uuid_pk
from chatapp.db.enums import ChannelType, channel_type

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import agents, core  # noqa: F401


class ChannelConfig(Base):
    __tablename__ = "chatapp_channel_configs"
    __table_args__ = (
        Index("channel_config_idx", "company_id", "agent_id", "channel"),
        # Unique (the design has a plain index): an inbound webhook id routes to one connection.
        Index("channel_webhook_idx", "webhook_id", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id"))
    channel: Mapped[ChannelType] = mapped_column(channel_type)
    # Secret values inside are envelope-encrypted before they are stored.
    credentials: Mapped[dict[str, Any]] = json_object(nullable=False)
    webhook_id: Mapped[str] = mapped_column(String(50))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool | None] = mapped_column(server_default=true())
    is_verified: Mapped[bool | None] = mapped_column(server_default=false())
    last_verified_at: Mapped[datetime | None]
    settings: Mapped[dict[str, Any] | None] = json_object()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class WidgetConfig(Base):
    __tablename__ = "chatapp_widget_configs"
    __table_args__ = (
        Index("widget_config_idx", "company_id", "agent_id"),
        # Not in the design: an agent has one widget, and the console upserts it.
        Index("widget_config_agent_uidx", "agent_id", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_agents.id"))
    theme: Mapped[str | None] = mapped_column(String(20), server_default="light")
    position: Mapped[str | None] = mapped_column(String(20), server_default="bottom-right")
    primary_color: Mapped[str | None] = mapped_column(String(7), server_default="#007bff")
    title: Mapped[str | None] = mapped_column(String(100))
    subtitle: Mapped[str | None] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    show_branding: Mapped[bool | None] = mapped_column(server_default=true())
    auto_open: Mapped[bool | None] = mapped_column(server_default=false())
    auto_open_delay: Mapped[int | None] = mapped_column(Integer, server_default="5000")
    welcome_message: Mapped[str | None] = mapped_column(Text)
    placeholder_text: Mapped[str | None] = mapped_column(String(200))
    enable_voice: Mapped[bool | None] = mapped_column(server_default=false())
    enable_file_upload: Mapped[bool | None] = mapped_column(server_default=true())
    enable_emoji: Mapped[bool | None] = mapped_column(server_default=true())
    custom_css: Mapped[str | None] = mapped_column(Text)
    allowed_domains: Mapped[list[Any] | None] = json_array()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ApiKey(Base):
    """A company API key. Only its prefix (for display) and SHA-256 are stored."""

    __tablename__ = "chatapp_api_keys"
    __table_args__ = (
        Index("api_keys_company_idx", "company_id"),
        Index("api_keys_prefix_idx", "key_prefix"),
        # Not in the design: authentication looks keys up by hash, which must name one key.
        Index("api_keys_hash_idx", "key_hash", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    name: Mapped[str] = mapped_column(String(255))
    key_prefix: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(255))
    permissions: Mapped[list[Any] | None] = json_array()
    rate_limit: Mapped[int | None] = mapped_column(Integer, server_default="100")
    is_active: Mapped[bool | None] = mapped_column(server_default=true())
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Webhook(Base):
    __tablename__ = "chatapp_webhooks"
    __table_args__ = (
        Index("webhooks_company_idx", "company_id"),
        Index("webhooks_agent_idx", "agent_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_agents.id"))
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(Text)  # sealed (secret_box); Text since migration 0007
    events: Mapped[list[Any]] = json_array(nullable=False)
    headers: Mapped[dict[str, Any] | None] = json_object()
    is_active: Mapped[bool | None] = mapped_column(server_default=true())
    max_retries: Mapped[int | None] = mapped_column(Integer, server_default="3")
    retry_delay: Mapped[int | None] = mapped_column(Integer, server_default="1000")
    success_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    failure_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    last_triggered_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class WebhookOutbox(Base):
    """A webhook delivery message waiting for the queue (migration 0011; `webhooks/outbox`).

    Written in the transaction of the change that emitted the event, deleted once the message is on
    the queue: a commit followed by a failed send leaves the row for the relay (at-least-once).
    """

    __tablename__ = "chatapp_webhook_outbox"
    __table_args__ = (
        Index("webhook_outbox_created_idx", "created_at"),  # the relay takes the oldest rows
        # `message` is sent as is, so it may only ever name this row's company and endpoint: a row
        # cannot carry an event to another company's endpoint, whoever wrote it.
        CheckConstraint(
            "message->>'company_id' = company_id::text AND message->>'webhook_id' = webhook_id::text",
            name="message_matches",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    # A deleted endpoint gets nothing more (delivery would skip it anyway).
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_webhooks.id", ondelete="CASCADE"))
    message: Mapped[dict[str, Any]]  # the delivery message, exactly as it goes to the webhook queue
    created_at: Mapped[datetime] = created_at()
