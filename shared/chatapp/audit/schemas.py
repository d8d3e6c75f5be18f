"""The company's audit log, as company admins page through it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    user_id: uuid.UUID | None
    resource_type: str | None
    resource_id: uuid.UUID | None
    details: dict[str, Any]
    ip_address: str | None
    user_agent: str | None
    success: bool | None
    created_at: datetime


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None  # pass back as `cursor` for older entries
