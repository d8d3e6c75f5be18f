"""Payments marked missing or received (the manual implementation of the payment-events interface):
through the master admin API at the real time, and through the service with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from chatapp.billing import lifecycle
from chatapp.billing.payments import ManualPayments, PaymentEvents
from chatapp.db.enums import SubscriptionStatus as S
from tests.integration.billing.conftest import MasterAdmin, master_principal, subscribed
from tests.integration.tenant_data import Tenants

DAY = timedelta(days=1)


def test_marking_unpaid_then_paid_through_the_api_keeps_the_current_period(
    owner_engine: Engine, master: MasterAdmin, tenants: Tenants
) -> None:
    now = datetime.now(UTC)
    company = subscribed(
        owner_engine, "Pay", status=S.ACTIVE, starts_at=now - 5 * DAY, expires_at=now + 25 * DAY
    )
    path = f"/v1/admin/subscriptions/{company.subscription_id}"

    unpaid = master.call("POST", f"{path}/unpaid", {"reason": "card declined"})
    assert unpaid.status == 200, unpaid.body
    assert unpaid.body["status"] == "past_due" and unpaid.body["unpaid_at"] is not None
    assert unpaid.body["past_due_at"] == unpaid.body["unpaid_at"]
    again = master.call("POST", f"{path}/unpaid", {"reason": "card declined"})
    assert again.status == 200 and again.body["past_due_at"] == unpaid.body["past_due_at"]
    failed = company.audit("subscription.payment_failed")
    assert len(failed) == 1 and failed[0].details["reason"] == "card declined"
    assert failed[0].user_id == tenants.master_admin_id and failed[0].company_id == company.data.company_id

    paid = master.call("POST", f"{path}/paid")
    assert paid.status == 200, paid.body
    assert (
        paid.body["status"] == "active"
        and paid.body["unpaid_at"] is None
        and paid.body["past_due_at"] is None
    )
    assert paid.body["expires_at"] == unpaid.body["expires_at"]  # the period the payment was for
    assert master.call("POST", f"{path}/paid").status == 200
    assert len(company.audit("subscription.payment_succeeded")) == 1

    missing = master.call("POST", "/v1/admin/subscriptions/00000000-0000-4000-8000-000000000000/paid")
    assert missing.status == 404 and missing.body["error"]["code"] == "subscription_not_found"


def test_an_unpaid_subscription_lapses_and_a_late_payment_starts_a_new_period(
    owner_engine: Engine, tenants: Tenants
) -> None:
    payments: PaymentEvents = ManualPayments(master_principal(tenants))
    expires = datetime(2024, 4, 20, tzinfo=UTC)
    company = subscribed(
        owner_engine,
        "Lapse",
        status=S.ACTIVE,
        starts_at=expires - 30 * DAY,
        expires_at=expires,
        auto_renew=True,
    )
    failed_at = expires - 5 * DAY
    out = payments.payment_failed(company.subscription_id, "insufficient funds", failed_at)
    assert out.status == "past_due" and out.past_due_at == failed_at

    lifecycle.run(failed_at + 3 * DAY)
    row = company.row()
    assert row.status is S.GRACE_PERIOD and row.grace_period_ends_at == failed_at + 10 * DAY
    lifecycle.run(expires)  # auto-renewing, but unpaid: no renewal
    assert company.row().status is S.GRACE_PERIOD and company.row().expires_at == expires

    paid_at = expires + DAY
    out = payments.payment_succeeded(company.subscription_id, paid_at)
    assert out.status == "active" and out.unpaid_at is None and out.grace_period_ends_at is None
    assert (out.starts_at, out.expires_at) == (paid_at, datetime(2024, 5, 21, tzinfo=UTC))
    lifecycle.run(paid_at + 10 * DAY)
    assert company.row().status is S.ACTIVE


def test_an_expired_subscription_can_be_paid_a_cancelled_one_cannot(
    owner_engine: Engine, tenants: Tenants, master: MasterAdmin
) -> None:
    payments = ManualPayments(master_principal(tenants))
    expires = datetime(2024, 1, 10, tzinfo=UTC)
    expired = subscribed(
        owner_engine, "Gone", status=S.EXPIRED, starts_at=expires - 30 * DAY, expires_at=expires
    )
    now = datetime(2024, 2, 1, tzinfo=UTC)
    out = payments.payment_succeeded(expired.subscription_id, now)
    assert out.status == "active" and out.starts_at == now
    assert len(expired.audit("subscription.payment_succeeded")) == 1
    cancelled = subscribed(owner_engine, "Quit", status=S.CANCELLED, starts_at=now, expires_at=now + 30 * DAY)
    for action in ("paid", "unpaid"):
        refused = master.call("POST", f"/v1/admin/subscriptions/{cancelled.subscription_id}/{action}", {})
        assert refused.status == 409, refused.body
    assert cancelled.row().status is S.CANCELLED


def test_an_unpaid_trial_expires_instead_of_converting(owner_engine: Engine, tenants: Tenants) -> None:
    ends = datetime(2024, 6, 1, tzinfo=UTC)
    trial = subscribed(
        owner_engine, "Trial", status=S.TRIAL, starts_at=ends - 14 * DAY, expires_at=ends, trial_ends_at=ends
    )
    out = ManualPayments(master_principal(tenants)).payment_failed(trial.subscription_id, None, ends - DAY)
    assert out.status == "trial" and out.unpaid_at == ends - DAY
    lifecycle.run(ends)
    assert trial.row().status is S.EXPIRED
