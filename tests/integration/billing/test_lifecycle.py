"""The subscription lifecycle job with an explicit clock: trials end, periods renew, lapses walk
past_due -> grace_period -> expired on the right moments, a late run catches up, a second run for
the same moment changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from chatapp.billing import lifecycle
from chatapp.db.enums import SubscriptionStatus as S
from chatapp.db.models.audit import AuditLog
from chatapp.db.models.billing import CompanySubscription
from tests.integration.billing.conftest import Mailbox, Subscribed, subscribed
from tests.integration.chat.conftest import open_shop
from tests.integration.stack import LocalAws

TICK = timedelta(microseconds=1)
DAY = timedelta(days=1)


def run(now: datetime) -> None:
    summary = lifecycle.run(now)
    assert summary.failed == 0 and summary.skipped == 0, summary


def actions(company: Subscribed) -> list[tuple[str, str]]:
    return [
        (entry.action, entry.details["at"])
        for entry in company.audit()
        if entry.action != "subscription.reminder_sent"
    ]


def test_a_trial_that_ends_converts_when_auto_renewing_and_expires_otherwise(
    owner_engine: Engine, mailbox: Mailbox
) -> None:
    ends = datetime(2023, 3, 31, 10, 30, tzinfo=UTC)
    start = ends - timedelta(days=14)
    trial = {"status": S.TRIAL, "starts_at": start, "expires_at": ends, "trial_ends_at": ends}
    converting = subscribed(owner_engine, "Convert", **trial, auto_renew=True)
    lapsing = subscribed(owner_engine, "Lapse", **trial, auto_renew=False)
    unpaid = subscribed(owner_engine, "Unpaid", **trial, auto_renew=True, unpaid_at=start + DAY)

    run(ends - TICK)
    assert {c.row().status for c in (converting, lapsing, unpaid)} == {S.TRIAL}

    run(ends)
    row = converting.row()
    assert row.status is S.ACTIVE
    assert (row.starts_at, row.expires_at) == (ends, datetime(2023, 4, 30, 10, 30, tzinfo=UTC))
    assert row.reminders_sent == []  # the trial's reminders do not carry into the paid period
    assert row.billing_day == 31
    assert lapsing.row().status is S.EXPIRED and unpaid.row().status is S.EXPIRED
    assert actions(converting) == [("subscription.activated", ends.isoformat())]
    assert actions(lapsing) == [("subscription.expired", ends.isoformat())]
    entry = converting.audit("subscription.activated")[0]
    assert entry.resource_id == converting.subscription_id and entry.user_id is None
    assert entry.details["before"]["status"] == "trial" and entry.details["after"]["status"] == "active"
    assert entry.details["after"]["expires_at"] == "2023-04-30T10:30:00+00:00"


def test_an_auto_renewing_monthly_subscription_renews_at_expiry_on_calendar_months(
    owner_engine: Engine, mailbox: Mailbox
) -> None:
    start, end = datetime(2023, 1, 31, 9, tzinfo=UTC), datetime(2023, 2, 28, 9, tzinfo=UTC)
    company = subscribed(owner_engine, "Renew", status=S.ACTIVE, starts_at=start, expires_at=end)

    run(end - TICK)
    assert company.row().expires_at == end and company.row().reminders_sent  # the 1-day reminder
    run(end)
    row = company.row()
    assert row.status is S.ACTIVE and row.id == company.subscription_id  # renewed in place
    assert (row.starts_at, row.expires_at) == (end, datetime(2023, 3, 31, 9, tzinfo=UTC))  # back to the 31st
    assert row.billing_day == 31
    assert row.reminders_sent == []

    # Three months without a run: three renewals, each at its own due time (30 Apr, 31 May, 30 Jun).
    run(datetime(2023, 6, 15, tzinfo=UTC))
    row = company.row()
    assert (row.starts_at, row.expires_at) == (
        datetime(2023, 5, 31, 9, tzinfo=UTC),
        datetime(2023, 6, 30, 9, tzinfo=UTC),
    )
    assert [at for action, at in actions(company)] == [
        "2023-02-28T09:00:00+00:00",
        "2023-03-31T09:00:00+00:00",
        "2023-04-30T09:00:00+00:00",
        "2023-05-31T09:00:00+00:00",
    ]
    assert {action for action, _ in actions(company)} == {"subscription.renewed"}


def test_longer_cycles_renew_by_their_number_of_months(owner_engine: Engine) -> None:
    start = datetime(2023, 11, 30, tzinfo=UTC)
    ends = {
        "quarterly": datetime(2024, 2, 29),
        "semi_annual": datetime(2024, 5, 30),
        "annual": datetime(2024, 11, 30),
    }
    companies = {
        cycle: subscribed(
            owner_engine,
            "Cycle",
            status=S.TRIAL,
            starts_at=start - DAY,
            expires_at=start,
            trial_ends_at=start,
            cycle=cycle,
        )
        for cycle in ends
    }
    run(start)
    for cycle, company in companies.items():
        assert company.row().expires_at == ends[cycle].replace(tzinfo=UTC), cycle


def test_a_lapse_walks_past_due_grace_and_expiry_on_the_right_days_then_the_widget_refuses(
    owner_engine: Engine, local_aws: LocalAws, builtin_packages: None, mailbox: Mailbox
) -> None:
    shop = open_shop(owner_engine, local_aws, "Lapsing")
    expires = datetime(2024, 3, 10, 12, tzinfo=UTC)
    with Session(owner_engine) as db, db.begin():
        subscription = db.scalars(
            select(CompanySubscription).where(CompanySubscription.company_id == shop.tenant.data.company_id)
        ).one()
        subscription.starts_at, subscription.expires_at = expires - timedelta(days=29), expires
        subscription.auto_renew, subscription.grace_period_days = False, 7
        subscription_id = subscription.id

    def status() -> S:
        with Session(owner_engine) as db:
            row = db.get(CompanySubscription, subscription_id)
            assert row is not None
            return row.status

    visitor = shop.visit()  # a conversation started while the subscription is active
    run(expires - TICK)
    assert status() is S.ACTIVE
    run(expires)
    assert status() is S.PAST_DUE
    assert visitor.send("Still there?").status == 200  # past_due: the service continues
    run(expires + 3 * DAY - TICK)
    assert status() is S.PAST_DUE
    run(expires + 3 * DAY)
    assert status() is S.GRACE_PERIOD
    with Session(owner_engine) as db:
        row = db.get(CompanySubscription, subscription_id)
        assert row is not None
        assert (row.past_due_at, row.grace_period_ends_at) == (expires, expires + 10 * DAY)
    assert shop.visit().conversation_id  # grace period: still answering
    run(expires + 10 * DAY - TICK)
    assert status() is S.GRACE_PERIOD
    run(expires + 10 * DAY)
    assert status() is S.EXPIRED

    refused = shop.widget("POST", "/conversations", json_body={})
    assert refused.status == 402 and refused.body["error"]["code"] == "no_active_subscription"
    refused = visitor.send("Hello?")
    assert refused.status == 402 and refused.body["error"]["code"] == "no_active_subscription"
    with Session(owner_engine) as db:
        steps = db.execute(
            select(AuditLog.action, AuditLog.details["at"].astext)
            .where(AuditLog.resource_id == subscription_id, AuditLog.action != "subscription.reminder_sent")
            .order_by(AuditLog.created_at, AuditLog.details["at"].astext)
        ).all()
    assert [tuple(step) for step in steps] == [
        ("subscription.past_due", expires.isoformat()),
        ("subscription.grace_period", (expires + 3 * DAY).isoformat()),
        ("subscription.expired", (expires + 10 * DAY).isoformat()),
    ]


def test_a_late_run_catches_up_the_whole_lapse_with_each_step_at_its_due_time(owner_engine: Engine) -> None:
    expires = datetime(2024, 7, 1, tzinfo=UTC)
    company = subscribed(
        owner_engine,
        "Late",
        status=S.ACTIVE,
        starts_at=expires - 30 * DAY,
        expires_at=expires,
        auto_renew=False,
        grace_period_days=2,
    )
    run(expires + 40 * DAY)
    row = company.row()
    assert row.status is S.EXPIRED and row.grace_period_ends_at == expires + 5 * DAY
    assert actions(company) == [
        ("subscription.past_due", expires.isoformat()),
        ("subscription.grace_period", (expires + 3 * DAY).isoformat()),
        ("subscription.expired", (expires + 5 * DAY).isoformat()),
    ]


def _state(owner_engine: Engine) -> tuple[list[tuple[object, ...]], int]:
    with Session(owner_engine) as db:
        rows = db.execute(select(CompanySubscription.__table__).order_by(CompanySubscription.id)).all()
        audits = db.scalar(select(func.count()).select_from(AuditLog)) or 0
    return [tuple(row) for row in rows], audits


def test_running_twice_for_the_same_moment_changes_nothing(owner_engine: Engine, mailbox: Mailbox) -> None:
    now = datetime(2025, 2, 1, 6, tzinfo=UTC)
    subscribed(
        owner_engine, "Twice", status=S.TRIAL, starts_at=now - 14 * DAY, expires_at=now, trial_ends_at=now
    )
    subscribed(owner_engine, "Twice", status=S.ACTIVE, starts_at=now - 30 * DAY, expires_at=now)
    subscribed(owner_engine, "Twice", status=S.ACTIVE, starts_at=now - 25 * DAY, expires_at=now + 5 * DAY)
    subscribed(
        owner_engine,
        "Twice",
        status=S.PAST_DUE,
        starts_at=now - 40 * DAY,
        expires_at=now - 3 * DAY,
        past_due_at=now - 3 * DAY,
    )
    subscribed(
        owner_engine,
        "Twice",
        status=S.GRACE_PERIOD,
        starts_at=now - 50 * DAY,
        expires_at=now - 10 * DAY,
        past_due_at=now - 10 * DAY,
        grace_period_ends_at=now,
    )
    first = lifecycle.run(now)
    assert first.transitions and first.reminders >= 1
    rows, audits = _state(owner_engine)
    mail = len(mailbox.all())

    second = lifecycle.run(now)
    assert second.transitions == {} and second.reminders == 0 and second.failed == 0
    assert _state(owner_engine) == (rows, audits)
    assert len(mailbox.all()) == mail


def test_a_subscription_held_by_another_transaction_is_skipped_and_done_by_the_next_run(
    owner_engine: Engine,
) -> None:
    expires = datetime(2024, 8, 1, tzinfo=UTC)
    held = subscribed(
        owner_engine,
        "Held",
        status=S.ACTIVE,
        starts_at=expires - 31 * DAY,
        expires_at=expires,
        auto_renew=False,
    )
    free = subscribed(
        owner_engine,
        "Free",
        status=S.ACTIVE,
        starts_at=expires - 31 * DAY,
        expires_at=expires,
        auto_renew=False,
    )
    with Session(owner_engine) as other, other.begin():  # an overlapping run, or an admin's payment mark
        other.get(CompanySubscription, held.subscription_id, with_for_update=True)
        summary = lifecycle.run(expires)
        assert summary.skipped >= 1 and summary.failed == 0
        assert free.row().status is S.PAST_DUE
    assert held.row().status is S.ACTIVE and held.audit() == []
    run(expires)
    assert held.row().status is S.PAST_DUE and held.row().past_due_at == expires
