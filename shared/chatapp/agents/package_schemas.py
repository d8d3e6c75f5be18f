"""Requests and responses of the agent package catalogue (master admins publish, companies browse)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chatapp.agent_runtime.packages import DEFAULT_ENTRY_POINT, ENTRY_POINT_PATTERN, MAX_ARCHIVE_BYTES
from chatapp.errors import InvalidInput

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.+-]*$"
# Base64 of the largest archive the service accepts. In practice Lambda's 6 MB request payload
# caps this route lower (about 4.5 MB of zip); the service's own limit guards every publisher.
_MAX_BASE64_CHARS = 4 * -(-MAX_ARCHIVE_BYTES // 3)


class PackagePublishIn(BaseModel):
    """A package's metadata: the admin API's fields, and a built-in package's `package.json`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=100, pattern=SLUG_PATTERN)
    version: str = Field(min_length=1, max_length=20, pattern=VERSION_PATTERN)
    description: str | None = Field(default=None, max_length=5000)
    entry_point: str = Field(default=DEFAULT_ENTRY_POINT, max_length=255, pattern=ENTRY_POINT_PATTERN)
    capabilities: list[str] = Field(default_factory=list, max_length=50)
    default_config: dict[str, Any] = Field(default_factory=dict)
    author: str | None = Field(default=None, max_length=255)
    documentation: str | None = Field(default=None, max_length=100_000)
    changelog: str | None = Field(default=None, max_length=50_000)


class PackageUploadIn(PackagePublishIn):
    """The admin API's request: metadata plus the zip, base64-encoded (API Gateway has no multipart)."""

    zip_base64: str = Field(min_length=1, max_length=_MAX_BASE64_CHARS)

    def zip_bytes(self) -> bytes:
        try:
            return base64.b64decode(self.zip_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("zip_base64 is not valid base64.", code="invalid_base64") from None


class PackageSummaryOut(BaseModel):
    """What a company admin may see of an active package."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    description: str | None
    version: str
    capabilities: list[Any]


class PackageOut(PackageSummaryOut):
    package_url: str
    package_hash: str
    entry_point: str | None
    package_size: int | None
    default_config: dict[str, Any]
    author: str | None
    documentation: str | None
    changelog: str | None
    is_active: bool
    is_default: bool
    usage_count: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
