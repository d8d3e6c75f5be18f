"""Section 10: invitations, canned responses and support-agent presence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, text, true
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, updated_at, uuid_pk
from chatapp.db.enums import (
    InvitationStatus,
    SupportAgentPresence,
    UserRole,
    invitation_status,
    support_agent_status,
    user_role,
)

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import core  # noqa: F401


class Invitation(Base):
    __tablename__ = "chatapp_invitations"
    __table_args__ = (
        Index("invitations_company_idx", "company_id"),
        Index("invitations_email_idx", "email"),
        Index("invitations_token_idx", "token"),
        Index("invitations_status_idx", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    invited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_users.id"))
    email: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(user_role, server_default=UserRole.SUPPORT_AGENT.value)
    # SHA-256 (64 hex characters) of the token sent by e-mail.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[InvitationStatus] = mapped_column(
        invitation_status, server_default=InvitationStatus.PENDING.value
    )
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class CannedResponse(Base):
    __tablename__ = "chatapp_canned_responses"
    __table_args__ = (
        Index("canned_responses_company_idx", "company_id"),
        Index("canned_responses_shortcut_idx", "shortcut"),
        Index("canned_responses_category_idx", "category"),
        # Not in the design: a shortcut typed in a reply must name one response per company.
        Index(
            "canned_responses_company_shortcut_uidx",
            "company_id",
            "shortcut",
            unique=True,
            postgresql_where=text("shortcut IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_users.id"))
    title: Mapped[str] = mapped_column(String(255))
    shortcut: Mapped[str | None] = mapped_column(String(50))
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[Any] | None] = json_array()
    is_global: Mapped[bool | None] = mapped_column(server_default=true())
    agent_ids: Mapped[list[Any] | None] = json_array()
    usage_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    last_used_at: Mapped[datetime | None]
    is_active: Mapped[bool | None] = mapped_column(server_default=true())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SupportAgentStatus(Base):
    __tablename__ = "chatapp_support_agent_status"
    __table_args__ = (
        Index("support_agent_status_user_idx", "user_id"),
        Index("support_agent_status_company_idx", "company_id"),
        Index("support_agent_status_status_idx", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_users.id"), unique=True)
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_companies.id"))
    status: Mapped[SupportAgentPresence] = mapped_column(
        support_agent_status, server_default=SupportAgentPresence.OFFLINE.value
    )
    status_message: Mapped[str | None] = mapped_column(String(255))
    max_concurrent_chats: Mapped[int | None] = mapped_column(Integer, server_default="5")
    current_chat_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    last_active_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    status_changed_at: Mapped[datetime | None] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
