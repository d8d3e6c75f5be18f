"""The subscription lifecycle: trials end, periods renew or lapse, lapses run out; one daily job.

Collecting payment is out of scope: an auto-renewing subscription renews at `expires_at` unless a
payment was marked missing (`unpaid_at`, set through `chatapp.billing.payments`). The rules, for a
subscription whose due time has come (times are instants; days are 24 hours):

* `trial` at `trial_ends_at` (or `expires_at` when unset): auto-renewing and not unpaid -> `active`
  for a first period [trial end, trial end + the plan's billing cycle); otherwise -> `expired`.
* `active` at `expires_at`: auto-renewing and not unpaid -> renewed in place for the next period
  (starts at the old `expires_at`; calendar months ending on the billing day, see `billing_periods`);
  otherwise -> `past_due`
  with `past_due_at` = `expires_at`.
* `past_due` at `past_due_at` + PAST_DUE_DAYS -> `grace_period`, `grace_period_ends_at` = that
  moment + the subscription's `grace_period_days` (7 when unset). The service keeps running in both.
* `grace_period` at `grace_period_ends_at` -> `expired`: the widget and channels stop answering.
* Payment marked missing on an `active` subscription: `past_due` from that moment. On a trial it
  is only recorded, so the trial expires at its end instead of converting.
* Payment marked received on `past_due`, `grace_period` or `expired` (never `cancelled`): `active`
  again, keeping the current period when it has not ended yet (the payment was for it), else for a
  new period starting now. Either way the lapse and the unpaid mark are cleared.

A run catches up on every missed day: transitions repeat until the subscription is stable, each
stamped with its own due time (a monthly plan three months behind renews three times). Each
subscription is processed in its own transaction holding its row (`FOR UPDATE SKIP LOCKED`), so a
crash leaves every row either fully processed or untouched, and two overlapping runs never process
the same row. Every transition writes an audit entry for the company (`subscription.<what>`).
Because transitions happen only at due times and reminders are recorded in `reminders_sent`,
running again for the same `now` changes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatapp.audit import entries
from chatapp.billing import reminders
from chatapp.billing.periods import billing_day, next_period, period_end, utc_day
from chatapp.billing.schemas import LifecycleRunOut
from chatapp.config import get_settings
from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.tenancy import system_session
from chatapp.errors import Conflict
from chatapp.observability import logger

Status = SubscriptionStatus
RESOURCE_TYPE = "company_subscriptions"
DEFAULT_GRACE_DAYS = 7
_MAX_STEPS = 1000  # a guard: even a monthly plan decades behind needs fewer transitions
# Fields an audit entry shows before and after a transition (notes and prices are not lifecycle).
_TRACKED = ("status", "starts_at", "expires_at", "trial_ends_at", "past_due_at", "grace_period_ends_at")
_TRACKED += ("unpaid_at", "cancelled_at")


def utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("a time zone-aware datetime is needed")
    return now.astimezone(UTC)


def snapshot(subscription: CompanySubscription) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _TRACKED:
        value = getattr(subscription, name)
        values[name] = value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
    values["status"] = Status(subscription.status).value
    return values


def write_audit(
    db: Session,
    subscription: CompanySubscription,
    action: str,
    before: dict[str, Any],
    *,
    at: datetime,
    actor_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One entry for the company: the status plus every tracked field that changed."""
    after = snapshot(subscription)
    changed = [name for name in _TRACKED if before.get(name) != after.get(name)]
    keys = ["status", *(name for name in changed if name != "status")]
    entries.record(
        db,
        action=action,
        company_id=subscription.company_id,
        user_id=actor_id,
        resource_type=RESOURCE_TYPE,
        resource_id=subscription.id,
        before={name: before.get(name) for name in keys},
        after={name: after.get(name) for name in keys},
        details={"at": at.isoformat(), **(details or {})},
    )


def _renews(subscription: CompanySubscription) -> bool:
    return bool(subscription.auto_renew) and subscription.unpaid_at is None


def _lapse_start(subscription: CompanySubscription) -> datetime:
    return subscription.past_due_at or subscription.expires_at


def _grace_days(subscription: CompanySubscription) -> int:
    days = subscription.grace_period_days
    return DEFAULT_GRACE_DAYS if days is None else days


def _step(
    subscription: CompanySubscription, cycle: str, now: datetime, past_due_days: int
) -> tuple[str, datetime] | None:
    """Apply the one transition due by `now`, if any: (audit action, the moment it was due)."""
    s = subscription
    if s.status is Status.TRIAL:
        due = s.trial_ends_at or s.expires_at
        if due > now:
            return None
        if not _renews(s):
            s.status = Status.EXPIRED
            return "subscription.expired", due
        s.status, s.starts_at, s.expires_at = Status.ACTIVE, due, period_end(due, cycle)
        s.billing_day, s.reminders_sent = utc_day(due), []
        return "subscription.activated", due
    if s.status is Status.ACTIVE:
        due = s.expires_at
        if due > now:
            return None
        if not _renews(s):
            s.status, s.past_due_at = Status.PAST_DUE, due
            return "subscription.past_due", due
        s.billing_day = s.billing_day or billing_day(s.starts_at, s.expires_at)
        s.starts_at, s.expires_at = next_period(s.starts_at, s.expires_at, cycle, day=s.billing_day)
        s.reminders_sent = []
        return "subscription.renewed", due
    if s.status is Status.PAST_DUE:
        due = _lapse_start(s) + timedelta(days=past_due_days)
        if due > now:
            return None
        s.status, s.grace_period_ends_at = Status.GRACE_PERIOD, due + timedelta(days=_grace_days(s))
        return "subscription.grace_period", due
    if s.status is Status.GRACE_PERIOD:
        due = s.grace_period_ends_at or (_lapse_start(s) + timedelta(days=past_due_days + _grace_days(s)))
        if due > now:
            return None
        s.status = Status.EXPIRED
        return "subscription.expired", due
    return None


def _cycle(db: Session, subscription: CompanySubscription) -> str:
    cycle = db.scalar(
        select(SubscriptionPlan.billing_cycle).where(SubscriptionPlan.id == subscription.plan_id)
    )
    if cycle is None:
        raise LookupError(f"subscription {subscription.id} has no plan")
    return cycle


def advance(
    db: Session, subscription: CompanySubscription, now: datetime, *, actor_id: uuid.UUID | None = None
) -> list[str]:
    """Every transition due by `now`, in order, each audited at its due time. Returns the actions."""
    cycle = _cycle(db, subscription)
    past_due_days = get_settings().past_due_days
    actions: list[str] = []
    for _ in range(_MAX_STEPS):
        before = snapshot(subscription)
        step = _step(subscription, cycle, now, past_due_days)
        if step is None:
            break
        action, due = step
        write_audit(db, subscription, action, before, at=due, actor_id=actor_id)
        actions.append(action)
    if actions:
        db.flush()
    return actions


# ---------------------------------------------------------------- payments


def mark_unpaid(
    db: Session,
    subscription: CompanySubscription,
    *,
    reason: str | None,
    now: datetime,
    actor_id: uuid.UUID | None = None,
) -> bool:
    """A payment is missing. Returns whether anything changed (a repeated mark changes nothing)."""
    advance(db, subscription, now, actor_id=actor_id)
    if subscription.status in (Status.EXPIRED, Status.CANCELLED):
        raise Conflict(
            f"This subscription is {subscription.status.value}; there is no payment to miss.",
            code="subscription_not_live",
        )
    if subscription.unpaid_at is not None and subscription.status is not Status.ACTIVE:
        return False
    before = snapshot(subscription)
    subscription.unpaid_at = subscription.unpaid_at or now
    if subscription.status is Status.ACTIVE:
        subscription.status, subscription.past_due_at = Status.PAST_DUE, now
    write_audit(
        db,
        subscription,
        "subscription.payment_failed",
        before,
        at=now,
        actor_id=actor_id,
        details={"reason": reason} if reason else None,
    )
    db.flush()
    return True


def mark_paid(
    db: Session, subscription: CompanySubscription, *, now: datetime, actor_id: uuid.UUID | None = None
) -> bool:
    """A payment arrived. Returns whether anything changed."""
    advance(db, subscription, now, actor_id=actor_id)
    status = subscription.status
    if status is Status.CANCELLED:
        raise Conflict(
            "A cancelled subscription cannot be paid; assign a plan instead.", code="subscription_cancelled"
        )
    lapsed = status in (Status.PAST_DUE, Status.GRACE_PERIOD, Status.EXPIRED)
    if not lapsed and subscription.unpaid_at is None:
        return False
    before = snapshot(subscription)
    subscription.unpaid_at = None
    if lapsed:
        if now >= subscription.expires_at:
            subscription.starts_at, subscription.expires_at = now, period_end(now, _cycle(db, subscription))
            subscription.billing_day, subscription.reminders_sent = utc_day(now), []
        subscription.status = Status.ACTIVE
        subscription.past_due_at = subscription.grace_period_ends_at = None
    write_audit(db, subscription, "subscription.payment_succeeded", before, at=now, actor_id=actor_id)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            "The company has another live subscription; this one cannot become active again.",
            code="subscription_superseded",
        ) from None
    return True


# ---------------------------------------------------------------- the job


def _candidates(db: Session, now: datetime) -> list[uuid.UUID]:
    """Subscriptions with a transition due or a reminder window open (a superset: rows re-check)."""
    window = now + timedelta(days=max(reminders.REMINDER_DAYS))
    s = CompanySubscription
    ids = db.scalars(
        select(s.id)
        .where(
            or_(
                and_(s.status == Status.TRIAL, func.coalesce(s.trial_ends_at, s.expires_at) <= window),
                and_(s.status == Status.ACTIVE, s.expires_at <= window),
                s.status.in_((Status.PAST_DUE, Status.GRACE_PERIOD)),
            )
        )
        .order_by(s.expires_at, s.id)
    )
    return list(ids)


def process(db: Session, subscription: CompanySubscription, now: datetime) -> tuple[list[str], int]:
    """Catch one locked subscription up to `now` and send the reminders due: (actions, e-mails sent)."""
    actions = advance(db, subscription, now)
    sent = reminders.send_due(db, subscription, now)
    return actions, sent


def run(now: datetime | None = None) -> LifecycleRunOut:
    """Process every subscription with something due by `now` (default: the current time)."""
    now = utc(now)
    with system_session("subscription lifecycle: find subscriptions with something due") as db:
        ids = _candidates(db, now)
    transitions: Counter[str] = Counter()
    reminders = skipped = failed = 0
    for subscription_id in ids:
        try:
            with system_session("subscription lifecycle: one subscription") as db:
                subscription = db.scalar(
                    select(CompanySubscription)
                    .where(CompanySubscription.id == subscription_id)
                    .with_for_update(skip_locked=True)
                )
                if subscription is None:  # another run holds it (or it is gone)
                    skipped += 1
                    continue
                actions, sent = process(db, subscription, now)
            transitions.update(actions)
            reminders += sent
        except Exception as error:  # one bad row must not stop the others; the next run retries it
            failed += 1
            logger.error(
                "subscription lifecycle failed for one subscription",
                extra={"subscription_id": str(subscription_id), "error_type": type(error).__name__},
            )
    summary = LifecycleRunOut(
        now=now,
        checked=len(ids),
        transitions=dict(transitions),
        reminders=reminders,
        skipped=skipped,
        failed=failed,
    )
    logger.info("subscription lifecycle run", extra=summary.model_dump(mode="json"))
    return summary
