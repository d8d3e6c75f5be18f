"""Not in the design (issue #20): the copilot's reply suggestions for human agents. Each is kept
with an id so that sent as it was, edited before sending and ignored can be told apart."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, uuid_pk

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import conversations, core  # noqa: F401

SUGGESTION_STATUSES = ("suggested", "sent", "edited", "ignored")


class ReplySuggestion(Base):
    __tablename__ = "chatapp_reply_suggestions"
    __table_args__ = (
        CheckConstraint(f"status IN {SUGGESTION_STATUSES}", name="reply_suggestions_status_check"),
        Index("reply_suggestions_conversation_idx", "conversation_id", "created_at"),
        Index("reply_suggestions_company_created_idx", "company_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chatapp_conversations.id", ondelete="CASCADE")
    )
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_users.id", ondelete="SET NULL")
    )
    for_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_messages.id", ondelete="SET NULL")
    )
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = json_array(nullable=False)
    model: Mapped[str | None] = mapped_column(String(100))
    offline: Mapped[bool] = mapped_column(Boolean, server_default="false")
    latency_ms: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="suggested")
    sent_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chatapp_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
