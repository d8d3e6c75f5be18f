"""Section 2: companies (tenants), users and the sign-in tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from chatapp.db.base import Base, created_at, json_array, json_object, updated_at, uuid_pk
from chatapp.db.enums import UserRole, user_role

COMPANY_STATUSES = ("active", "suspended", "pending", "deleted")


class Company(Base):
    __tablename__ = "chatapp_companies"
    __table_args__ = (
        # Not in the design (migration 0009): the status is one of the design's four values, and a
        # company is soft-deleted exactly when it is marked deleted, so the two can never disagree.
        CheckConstraint("status IN ('active', 'suspended', 'pending', 'deleted')", name="status"),
        CheckConstraint("(status = 'deleted') = (deleted_at IS NOT NULL)", name="deleted_status"),
        # Not in the design (migration 0013): many companies may claim a domain, one may hold it
        # verified; a design-style plain UNIQUE let an unverified claim squat the real owner's domain.
        Index("companies_custom_domain_idx", "custom_domain"),
        Index(
            "companies_verified_custom_domain_key",
            "custom_domain",
            unique=True,
            postgresql_where=text("custom_domain_verified"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(String(500))
    primary_color: Mapped[str | None] = mapped_column(String(7), server_default="#007bff")
    secondary_color: Mapped[str | None] = mapped_column(String(7))
    custom_domain: Mapped[str | None] = mapped_column(String(255))
    custom_domain_verified: Mapped[bool | None] = mapped_column(server_default=false())
    timezone: Mapped[str | None] = mapped_column(String(50), server_default="UTC")
    locale: Mapped[str | None] = mapped_column(String(10), server_default="en")
    settings: Mapped[dict[str, Any] | None] = json_object()
    # 'active' | 'suspended' | 'pending' | 'deleted'
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    api_key_hash: Mapped[str | None] = mapped_column(String(255))
    api_key_prefix: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None]
    # Not in the design (migration 0009): why a master admin suspended or deleted the company (shown to
    # its admins), when the status last changed, and the custom domain's DNS TXT verification.
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None]
    custom_domain_token: Mapped[str | None] = mapped_column(String(64))
    custom_domain_verified_at: Mapped[datetime | None]
    # Not in the design (migration 0012): widget identity verification. The HMAC key the company's site
    # signs visitors' identities with, sealed (`integrations/secret_box`); and whether only a signed
    # identity may link or update a customer profile (false for companies older than the setting).
    require_identity_verification: Mapped[bool] = mapped_column(server_default=false())
    identity_secret: Mapped[str | None] = mapped_column(Text)


class User(Base):
    __tablename__ = "chatapp_users"
    __table_args__ = (
        Index("users_company_idx", "company_id"),
        Index("users_email_idx", "email"),
        Index("users_role_idx", "role"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(255), unique=True)
    email_verified: Mapped[datetime | None]
    name: Mapped[str | None] = mapped_column(String(255))
    image: Mapped[str | None] = mapped_column(String(500))
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("chatapp_companies.id"))
    role: Mapped[UserRole] = mapped_column(user_role, server_default=UserRole.SUPPORT_AGENT.value)
    phone: Mapped[str | None] = mapped_column(String(20))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    permissions: Mapped[dict[str, Any] | None] = json_object()
    is_active: Mapped[bool] = mapped_column(server_default=true())
    last_login_at: Mapped[datetime | None]
    ip_allowlist: Mapped[list[Any] | None] = json_array()
    access_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None]


class Account(Base):
    """An external sign-in provider account (OAuth) linked to a user."""

    __tablename__ = "chatapp_accounts"
    __table_args__ = (Index("accounts_provider_idx", "provider", "provider_account_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(255))
    provider: Mapped[str] = mapped_column(String(255))
    provider_account_id: Mapped[str] = mapped_column(String(255))
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[int | None] = mapped_column(Integer)
    token_type: Mapped[str | None] = mapped_column(String(255))
    scope: Mapped[str | None] = mapped_column(String(255))
    id_token: Mapped[str | None] = mapped_column(Text)
    session_state: Mapped[str | None] = mapped_column(String(255))


class Session(Base):
    """A console session. `session_token` holds the SHA-256 of the opaque bearer token."""

    __tablename__ = "chatapp_sessions"

    id: Mapped[uuid.UUID] = uuid_pk()
    session_token: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chatapp_users.id", ondelete="CASCADE"))
    expires: Mapped[datetime]
    created_at: Mapped[datetime] = created_at()


class VerificationToken(Base):
    """Magic-link and e-mail verification tokens; `token` holds a SHA-256, never the token."""

    __tablename__ = "chatapp_verification_tokens"
    __table_args__ = (PrimaryKeyConstraint("identifier", "token"),)

    identifier: Mapped[str] = mapped_column(String(255))
    token: Mapped[str] = mapped_column(String(255), unique=True)
    expires: Mapped[datetime]


__all__ = ["COMPANY_STATUSES", "Account", "Company", "Session", "User", "VerificationToken"]
