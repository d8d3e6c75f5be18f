"""What a company's status lets it do.

An active company does everything. A suspended company stops serving its customers (widget,
channels, API keys answer with a clear refusal), and its console shrinks to what explains why: its
administrators can still sign in and read the company and billing pages, which carry the reason a
master admin gave; every other request is refused with that reason. Its support agents cannot sign
in. Pending and deleted companies can do nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from chatapp.billing.quotas import EffectiveLimits, no_active_subscription, status_and_limits
from chatapp.db.enums import UserRole
from chatapp.errors import Forbidden

ACTIVE = "active"
SUSPENDED = "suspended"

# Console routes a suspended company's administrators may still read (GET only).
READABLE_WHILE_SUSPENDED = frozenset(
    {
        "/v1/companies/me",
        "/v1/billing/subscription",
        "/v1/billing/usage",
        "/v1/billing/plans",
        "/v1/auth/session",
    }
)

# What a company's customers are told when it cannot answer: no internal reason reaches them.
CUSTOMER_NOTICE = "Sorry, this assistant can't answer right now. Please contact the company another way."


def console_refusal(status: str | None, reason: str | None) -> Forbidden:
    if status == SUSPENDED:
        why = f": {reason.strip().rstrip('.')}." if reason and reason.strip() else "."
        return Forbidden(
            f"Your company's account is suspended{why} Contact Buzzi support to reactivate it.",
            code="company_suspended",
            details={"company_status": status, "reason": reason},
        )
    return Forbidden("This company's account is not active.", code="company_inactive")


def require_console_access(
    status: str | None, reason: str | None, role: UserRole | str, *, reading_status_page: bool
) -> None:
    """For a signed-in console user (or one signing in, with `reading_status_page=True`)."""
    if status == ACTIVE:
        return
    admin = UserRole(role) is UserRole.COMPANY_ADMIN
    if status == SUSPENDED and admin and reading_status_page:
        return
    if status == SUSPENDED and not admin:
        raise Forbidden(
            "Your company's account is suspended. Your administrator can see why in the console.",
            code="company_suspended",
        )
    raise console_refusal(status, reason)


def require_serving(db: Session, company_id: uuid.UUID) -> EffectiveLimits:
    """A company answers its customers only while active and on a live subscription. Returns its
    limits; refuses with `company_suspended`/`company_inactive` or `no_active_subscription`."""
    status, limits = status_and_limits(db, company_id)
    if status != ACTIVE:
        raise Forbidden(
            CUSTOMER_NOTICE, code="company_suspended" if status == SUSPENDED else "company_inactive"
        )
    if limits is None:
        raise no_active_subscription()
    return limits
