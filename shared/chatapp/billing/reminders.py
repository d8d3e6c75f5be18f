"""Reminder e-mails before a subscription's period or trial ends, each sent once.

Active subscriptions are reminded 7 days and 1 day before `expires_at`, trials before
`trial_ends_at`. Only the nearest threshold already reached is sent: a job that first runs half a
day before the end sends the 1-day reminder, never a late 7-day one. A reminder's key (kind, end
and threshold, e.g. `renewal:2025-03-01T00:00:00+00:00:7d`) is added to `reminders_sent`, which a
new period clears.

Mail goes to the company's active admins through SES while the subscription's row is held; the
key is recorded only when at least one admin received it (or the company has none), so a failed
send is retried by the next run. A commit failing after a send may repeat a reminder, never lose it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.audit import entries
from chatapp.config import get_settings
from chatapp.db.enums import SubscriptionStatus, UserRole
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.core import Company, User
from chatapp.integrations import email
from chatapp.observability import logger

REMINDER_DAYS = (7, 1)


def due_reminder(subscription: CompanySubscription, now: datetime) -> tuple[str, int, datetime] | None:
    """(key, days, end) of the reminder to send now, or None."""
    if subscription.status is SubscriptionStatus.TRIAL:
        kind, ends = "trial", subscription.trial_ends_at or subscription.expires_at
    elif subscription.status is SubscriptionStatus.ACTIVE:
        kind, ends = "renewal", subscription.expires_at
    else:
        return None
    left = ends - now
    reached = [days for days in REMINDER_DAYS if timedelta(0) < left <= timedelta(days=days)]
    if not reached:
        return None
    days = min(reached)
    key = f"{kind}:{ends.astimezone(UTC).isoformat()}:{days}d"
    return None if key in (subscription.reminders_sent or []) else (key, days, ends)


def _admins(db: Session, company_id: object) -> list[str]:
    return list(
        db.scalars(
            select(User.email).where(
                User.company_id == company_id,
                User.role == UserRole.COMPANY_ADMIN,
                User.is_active.is_(True),
                User.deleted_at.is_(None),
            )
        )
    )


def _message(
    subscription: CompanySubscription, plan_name: str, company_name: str, days: int, ends: datetime
) -> tuple[str, str]:
    when = ends.astimezone(UTC).strftime("%d %B %Y, %H:%M UTC")
    span = "tomorrow" if days == 1 else f"in {days} days"
    renews = bool(subscription.auto_renew) and subscription.unpaid_at is None
    if subscription.status is SubscriptionStatus.TRIAL:
        subject = f"Your Buzzi trial ends {span}"
        outcome = (
            f"your {plan_name} subscription starts then."
            if renews
            else "your agents stop answering then unless you choose a plan."
        )
        text = f"The Buzzi trial of {company_name} ends on {when}: {outcome}"
    elif renews:
        subject = f"Your Buzzi {plan_name} plan renews {span}"
        text = f"The {plan_name} subscription of {company_name} renews automatically on {when}."
    else:
        subject = f"Your Buzzi {plan_name} plan expires {span}"
        text = (
            f"The {plan_name} subscription of {company_name} expires on {when}. Renew it to keep your "
            "agents answering."
        )
    return subject, text


def send_due(db: Session, subscription: CompanySubscription, now: datetime) -> int:
    """Send the reminder due now, if any, to the company's admins; returns e-mails sent."""
    due = due_reminder(subscription, now)
    if due is None:
        return 0
    key, days, ends = due
    company = db.get(Company, subscription.company_id)
    if company is None or company.deleted_at is not None:
        return 0
    plan_name = db.scalar(select(SubscriptionPlan.name).where(SubscriptionPlan.id == subscription.plan_id))
    subject, text = _message(subscription, plan_name or "Buzzi", company.name, days, ends)
    link = f"{get_settings().console_url}/settings/billing"
    recipients = _admins(db, subscription.company_id)
    sent = 0
    for address in recipients:
        try:
            email.send(
                email.Email(
                    to=address,
                    subject=subject,
                    text=f"{text}\n\nBilling: {link}",
                    html=f'<p>{escape(text)}</p><p><a href="{escape(link)}">Billing</a></p>',
                )
            )
            sent += 1
        except (BotoCoreError, ClientError) as error:
            logger.error("subscription reminder not sent", extra={"error_type": type(error).__name__})
    if recipients and not sent:
        return 0  # nobody got it: the next run tries again
    subscription.reminders_sent = [*(subscription.reminders_sent or []), key]
    entries.record(
        db,
        action="subscription.reminder_sent",
        company_id=subscription.company_id,
        resource_type="company_subscriptions",
        resource_id=subscription.id,
        details={"reminder": key, "recipients": sent, "at": now.isoformat()},
    )
    db.flush()
    return sent
