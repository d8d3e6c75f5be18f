"""Requests and responses of team management (console): members, roles, invitations, profile."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from chatapp.db.enums import InvitationStatus, UserRole
from chatapp.fields import refuse_null

TeamRole = Literal["company_admin", "support_agent"]  # a company can never make a master admin

# The design's permissions object: an area maps to the actions granted on all of it, or (agents)
# to actions per agent id. Unknown areas and actions are refused rather than stored unused.
PermissionArea = Literal["agents", "knowledge", "analytics", "team", "channels", "webhooks", "billing"]
PermissionAction = Literal["read", "write", "delete", "manage"]
Actions = Annotated[list[PermissionAction], Field(max_length=4)]
Permissions = dict[PermissionArea, Actions | dict[uuid.UUID, Actions]]


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str | None
    role: UserRole
    phone: str | None
    avatar_url: str | None
    permissions: dict[str, Any]
    is_active: bool
    last_login_at: datetime | None
    access_expires_at: datetime | None
    created_at: datetime


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: TeamRole | None = None
    permissions: Permissions | None = None
    is_active: bool | None = None
    access_expires_at: datetime | None = None
    ip_allowlist: list[str] | None = Field(default=None, max_length=50)

    # Null clears permissions, the expiry and the allowlist; a member always has a role and a state.
    _not_null = refuse_null("role", "is_active")


class ProfilePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+() .-]{3,20}$")
    avatar_url: str | None = Field(default=None, max_length=500, pattern=r"^https://")


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: TeamRole = "support_agent"


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: UserRole
    status: InvitationStatus
    invited_by: uuid.UUID
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


class InvitationAcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)
    name: str = Field(min_length=1, max_length=255)
