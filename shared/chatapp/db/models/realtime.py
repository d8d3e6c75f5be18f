"""Not in the design: the WebSocket side of real time (docs/realtime.md, migration 0016).

A ticket is what a widget trades its session token for before opening a socket: single use, short
lived, stored hashed. A connection row says which conversation an open socket listens to; pushes
read it, `$disconnect`, a gone connection and the housekeeping sweep delete it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, uuid_pk

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import agents, conversations, core  # noqa: F401

CONNECTION_KINDS = ("widget", "console")


class RealtimeTicket(Base):
    """A widget's ticket names its conversation and agent; a console's its user and session."""

    __tablename__ = "chatapp_realtime_tickets"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'widget' AND conversation_id IS NOT NULL AND agent_id IS NOT NULL)"
            " OR (kind = 'console' AND user_id IS NOT NULL AND session_id IS NOT NULL)",
            name="realtime_tickets_kind_check",
        ),
        Index("realtime_tickets_expires_idx", "expires_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), server_default="widget")
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_agents.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_sessions.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class RealtimeConnection(Base):
    __tablename__ = "chatapp_realtime_connections"
    __table_args__ = (
        CheckConstraint(f"kind IN {CONNECTION_KINDS}", name="realtime_connections_kind_check"),
        Index("realtime_connections_conversation_idx", "conversation_id"),
        Index("realtime_connections_company_kind_idx", "company_id", "kind"),
        Index("realtime_connections_expires_idx", "expires_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    connection_id: Mapped[str] = mapped_column(String(128), unique=True)  # API Gateway's id
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_agents.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id", ondelete="CASCADE"))
    # A console socket lives no longer than its sign-in: signing out deletes the row.
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_sessions.id", ondelete="CASCADE")
    )
    # What else a console connection listens to (part 2: the inbox); a widget's is its conversation.
    subscriptions: Mapped[list[str]] = json_array(nullable=False)
    connected_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # API Gateway's 2-hour limit


class RealtimeOutboxEvent(Base):
    """An inbox event written in the transaction of the change it reports, delivered after commit
    and deleted; what a crashed delivery left behind, the relay sends (docs/realtime.md)."""

    __tablename__ = "chatapp_realtime_outbox"
    __table_args__ = (Index("realtime_outbox_created_idx", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
