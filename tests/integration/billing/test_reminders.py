"""Reminder e-mails 7 days and 1 day before a period or trial ends, each sent once (read from moto's SES)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from chatapp.billing import lifecycle
from chatapp.db.enums import SubscriptionStatus as S
from tests.integration.billing.conftest import Mailbox, subscribed

DAY = timedelta(days=1)


def subjects(mailbox: Mailbox, to: str) -> list[str]:
    return [message["subject"] for message in mailbox.messages(to)]


def test_renewal_reminders_go_at_7_and_1_days_before_expiry_once_each(
    owner_engine: Engine, mailbox: Mailbox
) -> None:
    expires = datetime(2024, 9, 20, 15, tzinfo=UTC)
    company = subscribed(
        owner_engine, "Remind", status=S.ACTIVE, starts_at=expires - 31 * DAY, expires_at=expires
    )

    lifecycle.run(expires - 7 * DAY - timedelta(seconds=1))
    assert subjects(mailbox, company.admin_email) == []
    lifecycle.run(expires - 7 * DAY)
    lifecycle.run(expires - 7 * DAY)
    lifecycle.run(expires - 3 * DAY)
    assert subjects(mailbox, company.admin_email) == ["Your Buzzi Test monthly plan renews in 7 days"]
    lifecycle.run(expires - DAY)
    lifecycle.run(expires - timedelta(hours=2))
    sent = mailbox.messages(company.admin_email)
    assert [m["subject"] for m in sent] == [
        "Your Buzzi Test monthly plan renews in 7 days",
        "Your Buzzi Test monthly plan renews tomorrow",
    ]
    assert "renews automatically on 20 September 2024, 15:00 UTC" in sent[-1]["body"]
    assert company.row().reminders_sent == [
        "renewal:2024-09-20T15:00:00+00:00:7d",
        "renewal:2024-09-20T15:00:00+00:00:1d",
    ]
    assert [entry.details["reminder"] for entry in company.audit("subscription.reminder_sent")] == [
        "renewal:2024-09-20T15:00:00+00:00:7d",
        "renewal:2024-09-20T15:00:00+00:00:1d",
    ]
    # Support agents are not billing contacts.
    assert mailbox.messages(f"support-{company.admin_email.split('-', 1)[1]}") == []


def test_a_first_run_half_a_day_before_expiry_sends_only_the_1_day_reminder(
    owner_engine: Engine, mailbox: Mailbox
) -> None:
    expires = datetime(2024, 10, 5, tzinfo=UTC)
    company = subscribed(
        owner_engine,
        "Late",
        status=S.ACTIVE,
        starts_at=expires - 30 * DAY,
        expires_at=expires,
        auto_renew=False,
    )
    lifecycle.run(expires - timedelta(hours=12))
    sent = mailbox.messages(company.admin_email)
    assert [m["subject"] for m in sent] == ["Your Buzzi Test monthly plan expires tomorrow"]
    assert "Renew it to keep your agents answering" in sent[0]["body"]
    lifecycle.run(expires - timedelta(hours=1))
    assert len(mailbox.messages(company.admin_email)) == 1


def test_a_trial_gets_its_own_reminder_and_the_paid_period_starts_fresh(
    owner_engine: Engine, mailbox: Mailbox
) -> None:
    ends = datetime(2024, 11, 15, 8, tzinfo=UTC)
    company = subscribed(
        owner_engine, "Trial", status=S.TRIAL, starts_at=ends - 14 * DAY, expires_at=ends, trial_ends_at=ends
    )
    lifecycle.run(ends - 6 * DAY)
    assert subjects(mailbox, company.admin_email) == ["Your Buzzi trial ends in 7 days"]
    assert "your Test monthly subscription starts then" in mailbox.messages(company.admin_email)[0]["body"]
    lifecycle.run(ends)  # converts: the new period's reminders are still to come
    assert company.row().status is S.ACTIVE and company.row().reminders_sent == []
    lifecycle.run(ends + 30 * DAY - 7 * DAY)
    assert subjects(mailbox, company.admin_email)[-1] == "Your Buzzi Test monthly plan renews in 7 days"
