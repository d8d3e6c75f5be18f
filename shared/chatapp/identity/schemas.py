"""Requests and responses of the sign-in API (functions/auth)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from chatapp.companies.schemas import CompanyOut
from chatapp.config import get_settings
from chatapp.db.enums import UserRole

# Company slugs become sub-domains and URLs: lower case, digits and single hyphens, 3 to 63 characters.
COMPANY_SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
COMPANY_SLUG_LENGTH = (3, 63)


def _email(value: str) -> str:
    """Syntax only (no DNS). The seeded demo users live at `demo.buzzi.example` (a reserved, valid domain)."""
    try:
        checked = validate_email(
            value.strip(), check_deliverability=False, globally_deliverable=not get_settings().is_local
        )
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return checked.normalized.lower()


EmailAddress = Annotated[str, Field(max_length=255), AfterValidator(_email)]


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    company_name: str = Field(min_length=1, max_length=255)
    company_slug: str | None = Field(
        default=None,
        min_length=COMPANY_SLUG_LENGTH[0],
        max_length=COMPANY_SLUG_LENGTH[1],
        pattern=COMPANY_SLUG_PATTERN,
    )
    name: str = Field(min_length=1, max_length=255)
    email: EmailAddress


class MagicLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class OAuthCallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=2000)
    state: str = Field(min_length=1, max_length=200)


class SlugAvailabilityOut(BaseModel):
    slug: str
    available: bool
    reason: str | None = None  # "invalid" | "reserved" | "taken" when not available


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str | None
    role: UserRole
    company_id: uuid.UUID | None
    email_verified: datetime | None
    last_login_at: datetime | None


class SignupOut(BaseModel):
    company: CompanyOut
    user: UserOut
    plan_slug: str
    trial_ends_at: datetime
    message: str = "Check your e-mail for a sign-in link."


class AcceptedOut(BaseModel):
    message: str


class SessionIssuedOut(BaseModel):
    session_token: str
    expires_at: datetime
    user: UserOut


class WhoAmIOut(BaseModel):
    user: UserOut
    company: CompanyOut | None
    role: UserRole
    permissions: dict[str, Any]
    session_id: uuid.UUID
    session_expires_at: datetime


class SessionOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    current: bool


class OAuthStartOut(BaseModel):
    authorization_url: str
    state: str
