"""Requests and responses of the master admin's companies API (functions/admin_companies)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from chatapp.companies.schemas import CompanyOut, Locale, TimeZone
from chatapp.identity.schemas import EmailAddress, UserOut

REASON_LENGTH = 1000


class AdminCompanyIn(BaseModel):
    """A new company. `admin_email` makes its first company admin, who is e-mailed a sign-in link."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=255)
    # Format, reserved words and uniqueness are checked by the service (specific error codes).
    slug: str = Field(min_length=1, max_length=100)
    timezone: TimeZone | None = None
    locale: Locale | None = None
    admin_email: EmailAddress | None = None
    admin_name: str | None = Field(default=None, min_length=1, max_length=255)


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Shown to the company's admins: say what they can do about it.
    reason: str = Field(min_length=1, max_length=REASON_LENGTH)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, min_length=1, max_length=REASON_LENGTH)


class AdminCompanyOut(CompanyOut):
    """What the platform sees of a company: its members' view plus the lifecycle dates."""

    status_changed_at: datetime | None
    updated_at: datetime
    deleted_at: datetime | None
    purge_after: datetime | None = None  # deleted companies: when the purge job removes their data


class AdminCompanyPageOut(BaseModel):
    items: list[AdminCompanyOut]
    total: int  # companies matching the filters
    next_cursor: str | None  # pass back as `cursor` for the next page


class AdminCompanyCreatedOut(BaseModel):
    company: AdminCompanyOut
    admin: UserOut | None
    plan_slug: str
    trial_ends_at: datetime
