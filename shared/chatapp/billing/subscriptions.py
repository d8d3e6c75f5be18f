"""Master admins' management of companies' subscriptions: assign a plan, edit terms, run the job.

A company has at most one live subscription (trial, active, past_due or grace_period; a partial
unique index holds it). Assigning a plan cancels the live one (`cancelled`, `cancelled_at`) and starts
a new one: a trial of `trial_days`, or with 0 an active first period from now. There is no
proration: billing is out of scope. Editing price, limits, grace days, auto-renew or notes keeps
the current period. Every change is audited for the company (`subscription.*`), besides the
session's automatic trail.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.audit import entries
from chatapp.billing import lifecycle as lifecycle
from chatapp.billing.periods import period_end, utc_day
from chatapp.billing.quotas import LIVE_STATUSES
from chatapp.billing.schemas import LifecycleRunOut, SubscriptionAssignIn, SubscriptionOut, SubscriptionPatch
from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.core import Company
from chatapp.db.ownership import owned
from chatapp.db.tenancy import ContextRole, tenant_session
from chatapp.errors import Conflict, NotFound

_TERMS = ("custom_price", "custom_setup_fee", "custom_limits", "grace_period_days", "auto_renew")


def require_master_admin(principal: Principal) -> None:
    require_role(principal, (ContextRole.MASTER_ADMIN,))


def locked_subscription(db: Session, subscription_id: uuid.UUID) -> CompanySubscription:
    """The subscription, held for this transaction (the lifecycle job skips rows held elsewhere)."""
    row = owned(db, CompanySubscription, subscription_id, lock=True)
    if row is None:
        raise NotFound("No such subscription.", code="subscription_not_found")
    return row


def subscription_out(db: Session, row: CompanySubscription) -> SubscriptionOut:
    db.flush()
    db.refresh(row)
    plan = db.execute(
        select(SubscriptionPlan.slug, SubscriptionPlan.name, SubscriptionPlan.billing_cycle).where(
            SubscriptionPlan.id == row.plan_id
        )
    ).one()
    fields = {name: getattr(row, name) for name in SubscriptionOut.model_fields if hasattr(row, name)}
    return SubscriptionOut.model_validate(
        {**fields, "plan_slug": plan.slug, "plan_name": plan.name, "billing_cycle": plan.billing_cycle}
    )


def _company(db: Session, company_id: uuid.UUID, *, lock: bool = False) -> Company:
    company = owned(db, Company, company_id, lock=lock)
    if company is None or company.deleted_at is not None:
        raise NotFound("No such company.", code="company_not_found")
    return company


def _live(db: Session, company_id: uuid.UUID) -> list[CompanySubscription]:
    return list(
        db.scalars(
            select(CompanySubscription)
            .where(
                CompanySubscription.company_id == company_id, CompanySubscription.status.in_(LIVE_STATUSES)
            )
            .with_for_update()
        )
    )


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def get_company_subscription(principal: Principal, company_id: uuid.UUID) -> SubscriptionOut:
    """The company's live subscription, else its latest one."""
    require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        _company(db, company_id)
        live_first = case((CompanySubscription.status.in_(LIVE_STATUSES), 0), else_=1)
        row = db.scalar(
            select(CompanySubscription)
            .where(CompanySubscription.company_id == company_id)
            .order_by(live_first, CompanySubscription.created_at.desc())
            .limit(1)
        )
        if row is None:
            raise NotFound("This company has no subscription.", code="subscription_not_found")
        return subscription_out(db, row)


def assign(
    principal: Principal, company_id: uuid.UUID, body: SubscriptionAssignIn, now: datetime | None = None
) -> SubscriptionOut:
    require_master_admin(principal)
    now = lifecycle.utc(now)
    actor = principal.user_id
    with tenant_session(principal.context()) as db:
        _company(db, company_id, lock=True)  # one assignment per company at a time
        plan = _assignable_plan(db, body.plan_id)
        replaced = _cancel_live(db, company_id, now, actor)
        row = _new_subscription(company_id, plan, body, now)
        db.add(row)
        try:
            db.flush()
        except IntegrityError:
            raise Conflict(
                "The company's subscription changed at the same time; try again.",
                code="subscription_conflict",
            ) from None
        entries.record(
            db,
            action="subscription.assigned",
            company_id=company_id,
            user_id=actor,
            resource_type=lifecycle.RESOURCE_TYPE,
            resource_id=row.id,
            after={
                **lifecycle.snapshot(row),
                "plan": plan.slug,
                **{k: _json(getattr(row, k)) for k in _TERMS},
            },
            details={"replaces": replaced, "at": now.isoformat()},
        )
        return subscription_out(db, row)


def _assignable_plan(db: Session, plan_id: uuid.UUID) -> SubscriptionPlan:
    plan = db.get(SubscriptionPlan, plan_id)
    if plan is None:
        raise NotFound("No such plan.", code="plan_not_found")
    if not plan.is_active:
        raise Conflict(f"The {plan.slug} plan is inactive; activate it first.", code="plan_inactive")
    return plan


def _cancel_live(db: Session, company_id: uuid.UUID, now: datetime, actor: uuid.UUID | None) -> list[str]:
    """End the company's live subscriptions (a new one replaces them); returns their ids."""
    replaced = []
    for old in _live(db, company_id):
        before = lifecycle.snapshot(old)
        old.status, old.cancelled_at = SubscriptionStatus.CANCELLED, now
        lifecycle.write_audit(
            db, old, "subscription.cancelled", before, at=now, actor_id=actor, details={"replaced": True}
        )
        replaced.append(str(old.id))
    db.flush()
    return replaced


def _new_subscription(
    company_id: uuid.UUID, plan: SubscriptionPlan, body: SubscriptionAssignIn, now: datetime
) -> CompanySubscription:
    """A trial when `trial_days` is given (its billing day is set when it converts), else active."""
    trial_ends = now + timedelta(days=body.trial_days) if body.trial_days else None
    return CompanySubscription(
        company_id=company_id,
        plan_id=plan.id,
        custom_price=body.custom_price,
        custom_setup_fee=body.custom_setup_fee,
        custom_limits=body.custom_limits.override_values() if body.custom_limits else {},
        status=SubscriptionStatus.TRIAL if trial_ends else SubscriptionStatus.ACTIVE,
        trial_ends_at=trial_ends,
        starts_at=now,
        expires_at=trial_ends or period_end(now, plan.billing_cycle),
        billing_day=None if trial_ends else utc_day(now),
        grace_period_days=body.grace_period_days,
        auto_renew=body.auto_renew,
        notes=body.notes,
    )


def update(principal: Principal, company_id: uuid.UUID, patch: SubscriptionPatch) -> SubscriptionOut:
    """Change the live subscription's terms without starting a new period."""
    require_master_admin(principal)
    changes = patch.model_dump(exclude_unset=True)
    if "custom_limits" in changes:
        changes["custom_limits"] = patch.custom_limits.override_values() if patch.custom_limits else {}
    with tenant_session(principal.context()) as db:
        _company(db, company_id)
        live = _live(db, company_id)
        if not live:
            raise NotFound("This company has no live subscription.", code="subscription_not_found")
        row = live[0]
        before = {name: _json(getattr(row, name)) for name in changes if name != "notes"}
        if "grace_period_days" in changes and row.grace_period_ends_at is not None:
            # A grace period under way is as long as the new number of days says.
            old_days = (
                lifecycle.DEFAULT_GRACE_DAYS if row.grace_period_days is None else row.grace_period_days
            )
            row.grace_period_ends_at += timedelta(days=changes["grace_period_days"] - old_days)
        for name, value in changes.items():
            setattr(row, name, value)
        after = {name: _json(getattr(row, name)) for name in changes if name != "notes"}
        entries.record(
            db,
            action="subscription.updated",
            company_id=company_id,
            user_id=principal.user_id,
            resource_type=lifecycle.RESOURCE_TYPE,
            resource_id=row.id,
            before=before,
            after=after,
            details={"notes_changed": True} if "notes" in changes else None,
        )
        return subscription_out(db, row)


def run_lifecycle(principal: Principal) -> LifecycleRunOut:
    """The daily job, on demand (it changes only what is due, so running it early is harmless)."""
    require_master_admin(principal)
    return lifecycle.run()
