"""Requests and responses for outbound webhook endpoints (console, company admins)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

WebhookEvent = Literal[
    "conversation.created", "message.received", "escalation.created", "conversation.resolved"
]
EVENT_TYPES: tuple[str, ...] = get_args(WebhookEvent)

MAX_HEADERS = 10
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
# Headers the platform sets itself, or that would break the request: never taken from a tenant.
_RESERVED_HEADERS = {
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "user-agent",
}


def _check_headers(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return None
    if len(value) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} custom headers")
    for name, header_value in value.items():
        lowered = name.lower()
        if not _HEADER_NAME.match(name) or lowered.startswith("webhook-") or lowered in _RESERVED_HEADERS:
            raise ValueError(f"header {name!r} cannot be set")
        if len(header_value) > 500 or "\r" in header_value or "\n" in header_value:
            raise ValueError(f"the value of header {name!r} is not allowed")
    return value


def _check_events(value: list[WebhookEvent] | None) -> list[WebhookEvent] | None:
    return list(dict.fromkeys(value)) if value is not None else None


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    url: str = Field(min_length=1, max_length=500)
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(EVENT_TYPES))
    agent_id: uuid.UUID | None = None
    headers: dict[str, str] | None = None
    max_retries: int = Field(default=3, ge=0, le=10)
    retry_delay: int = Field(
        default=1000, ge=0, le=300_000, description="milliseconds before the first retry"
    )

    _headers = field_validator("headers")(_check_headers)
    _events = field_validator("events")(_check_events)


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    url: str | None = Field(default=None, min_length=1, max_length=500)
    events: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=len(EVENT_TYPES))
    is_active: bool | None = None
    headers: dict[str, str] | None = None
    max_retries: int | None = Field(default=None, ge=0, le=10)
    retry_delay: int | None = Field(default=None, ge=0, le=300_000)

    _headers = field_validator("headers")(_check_headers)
    _events = field_validator("events")(_check_events)


class WebhookOut(BaseModel):
    """An endpoint as the console sees it: never its signing secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    events: list[str]
    agent_id: uuid.UUID | None
    headers: dict[str, Any] | None
    is_active: bool | None
    max_retries: int | None
    retry_delay: int | None
    success_count: int | None
    failure_count: int | None
    last_triggered_at: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_...). Shown once: store it now.")


class WebhookSecretOut(BaseModel):
    id: uuid.UUID
    secret: str = Field(description="The new signing secret (whsec_...). Shown once: store it now.")


class WebhookTestOut(BaseModel):
    event_id: str
    event_type: str
