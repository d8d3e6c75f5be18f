"""Companies as their members see them, and the branding and custom domain company admins edit."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

MAX_SETTINGS_BYTES = 16_384  # a console preferences object, not a document store


def _known_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Lisbon") from error
    return value


def _lower(value: str) -> str:
    return value.lower()


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValueError("use an https:// address without credentials")
    if any(character.isspace() for character in value):
        raise ValueError("the address must not contain spaces")
    return value


# IANA time zones (Europe/Lisbon), checked against the tz database the runtime ships.
TimeZone = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_known_timezone)]
# BCP 47 language tags as the console uses them: a language, optionally a region (en, pt-BR).
Locale = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", max_length=10)]
HexColor = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$"), AfterValidator(_lower)]
HttpsUrl = Annotated[str, Field(max_length=500), AfterValidator(_https_url)]


class CompanyOut(BaseModel):
    """A company as its own members see it (no API key material, no settings). A suspended company's
    members see `status_reason`: why the platform suspended it."""

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
    custom_domain_verified_at: datetime | None = None
    timezone: str | None
    locale: str | None
    status: str
    status_reason: str | None = None
    created_at: datetime


class IdentityVerificationOut(BaseModel):
    """Widget identity verification (`conversations/visitor_identity`): whether only signed identities may
    link or update customer profiles, and whether a secret exists (the secret itself is never shown
    again after it was generated)."""

    model_config = ConfigDict(from_attributes=True)

    require_identity_verification: bool
    identity_secret_set: bool = Field(default=False, validation_alias="identity_secret")

    @field_validator("identity_secret_set", mode="before")
    @classmethod
    def _present(cls, value: Any) -> bool:
        return bool(value)


class CompanyAdminOut(CompanyOut, IdentityVerificationOut):
    """What company admins see after editing: the company, its settings object and identity verification."""

    settings: dict[str, Any]

    @field_validator("settings", mode="before")
    @classmethod
    def _object(cls, value: Any) -> Any:
        return {} if value is None else value


class CompanySettingsOut(IdentityVerificationOut):
    settings: dict[str, Any]


class IdentitySecretOut(BaseModel):
    """A new identity secret, shown this once: the company's server signs widget identities with it."""

    identity_secret: str


class CompanyPatch(BaseModel):
    """Branding, settings and identity verification. Omitted fields stay; `description`, `logo_url` and
    `secondary_color` can be cleared with null. `settings` replaces the whole object."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    logo_url: HttpsUrl | None = None
    primary_color: HexColor | None = None
    secondary_color: HexColor | None = None
    timezone: TimeZone | None = None
    locale: Locale | None = None
    settings: dict[str, Any] | None = None
    # Only signed widget identities may link or update customer profiles (conversations/visitor_identity).
    require_identity_verification: bool | None = None

    @field_validator(
        "name",
        "primary_color",
        "timezone",
        "locale",
        "settings",
        "require_identity_verification",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only explicit nulls reach here (defaults are not validated): these columns always have a value.
        if value is None:
            raise ValueError("cannot be null")
        return value

    @field_validator("settings")
    @classmethod
    def _small_settings(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value)) > MAX_SETTINGS_BYTES:
            raise ValueError(f"settings are at most {MAX_SETTINGS_BYTES} bytes of JSON")
        return value


class CustomDomainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The hostname rules are checked by the service, which answers with a specific code.
    domain: str = Field(min_length=1, max_length=253)


class DnsRecordOut(BaseModel):
    type: Literal["TXT"] = "TXT"
    name: str
    value: str


class CustomDomainOut(BaseModel):
    """The company's custom domain and the DNS TXT record that proves the company controls it."""

    domain: str
    verified: bool
    verified_at: datetime | None
    txt_record: DnsRecordOut
