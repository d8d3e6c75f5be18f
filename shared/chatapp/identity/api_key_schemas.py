"""Requests and responses of API key management (console, company admins)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# The design's scopes (section 7.3), plus "read:company" for `GET /v1/companies/me`.
Scope = Literal["read:conversations", "write:messages", "read:analytics", "read:company"]
SCOPES: tuple[str, ...] = get_args(Scope)
MAX_RATE_LIMIT = 10_000


def _in_the_future(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if value <= datetime.now(UTC):
        raise ValueError("must be in the future")
    return value


def _distinct(scopes: list[str]) -> list[str]:
    return list(dict.fromkeys(scopes))


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(SCOPES)), AfterValidator(_distinct)]
    rate_limit: int = Field(default=100, ge=1, le=MAX_RATE_LIMIT, description="Requests per minute.")
    expires_at: Annotated[datetime | None, AfterValidator(_in_the_future)] = None


class ApiKeyOut(BaseModel):
    """A key as the console lists it: never the key itself, only its first characters."""

    id: uuid.UUID
    name: str
    key_prefix: str
    scopes: list[str]
    rate_limit: int
    is_active: bool
    last_used_at: datetime | None
    expires_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The key, shown this once: only its SHA-256 digest is stored.")
