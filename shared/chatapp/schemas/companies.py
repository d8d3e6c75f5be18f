from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CompanyOut(BaseModel):
    """A company as its own members see it (no API key material, no internal settings)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    logo_url: str | None
    primary_color: str | None
    secondary_color: str | None
    custom_domain: str | None
    custom_domain_verified: bool | None
    timezone: str | None
    locale: str | None
    status: str
    created_at: datetime
