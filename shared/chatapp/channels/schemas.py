"""Requests and responses of channel connections (console)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatapp.db.enums import ChannelType


class ChannelConnectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: uuid.UUID
    channel: ChannelType
    credentials: dict[str, str] = Field(default_factory=dict, max_length=20)
    settings: dict[str, Any] = Field(default_factory=dict)


class ChannelCredentialsIn(BaseModel):
    """New values for some credentials (rotation); fields not sent keep their value."""

    model_config = ConfigDict(extra="forbid")

    credentials: dict[str, str] = Field(max_length=20)


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    settings: dict[str, Any] | None = None


class ChannelOut(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    channel: ChannelType
    webhook_url: str | None
    identifiers: dict[str, str]  # public identifiers (phone number id, page id, ...)
    secrets_set: list[str]  # which secret fields hold a value; never the values
    is_active: bool
    is_verified: bool
    last_verified_at: datetime | None
    last_error: str | None  # the latest delivery problem (expired token, ...), for the admin
    settings: dict[str, Any]
    created_at: datetime


class ChannelConnectedOut(ChannelOut):
    generated_secrets: dict[str, str]  # secrets Buzzi generated for you to give the platform; shown once
