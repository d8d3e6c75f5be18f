"""Section 9: audit log and rate-limit windows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text, true
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_object, updated_at, uuid_pk

# The tables these foreign keys name must be in the metadata before a flush sorts the tables.
from chatapp.db.models import core  # noqa: F401


class AuditLog(Base):
    __tablename__ = "chatapp_audit_logs"
    __table_args__ = (
        Index("audit_logs_user_idx", "user_id"),
        Index("audit_logs_company_idx", "company_id"),
        Index("audit_logs_action_idx", "action"),
        Index("audit_logs_created_at_idx", "created_at"),
        Index("audit_logs_resource_idx", "resource_type", "resource_id"),
        Index("idx_audit_logs_company_created", "company_id", text("created_at DESC")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_users.id"))
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_companies.id"))
    action: Mapped[str] = mapped_column(String(100))
    resource_type: Mapped[str | None] = mapped_column(String(50))
    resource_id: Mapped[uuid.UUID | None]
    details: Mapped[dict[str, Any] | None] = json_object()
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(500))
    success: Mapped[bool | None] = mapped_column(server_default=true())
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()


class RateLimitRecord(Base):
    __tablename__ = "chatapp_rate_limit_records"
    __table_args__ = (Index("rate_limit_key_window_idx", "key", "window_start", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    # 'company:{id}:api', 'ip:{address}:login', ...
    key: Mapped[str] = mapped_column(String(255))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    request_count: Mapped[int | None] = mapped_column(Integer, server_default="0")
    limit_value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
