"""The plan catalogue, as master admins curate it.

Plans are platform-wide (readable by everyone, writable by the platform only; RLS holds it). A
plan any subscription ever used cannot be deleted (subscriptions reference it, and its history
must stay readable): removing it deactivates it instead, so it can no longer be assigned or chosen
at sign-up while existing subscriptions keep running on it. Changes are audited by the session's
automatic trail (`subscription_plans.create/update/delete`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatapp.access.principals import Principal
from chatapp.billing.quotas import LIVE_STATUSES
from chatapp.billing.schemas import PlanIn, PlanOut, PlanPatch, PlanRemovedOut
from chatapp.billing.subscriptions import require_master_admin
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, NotFound


def _plan(db: Session, plan_id: uuid.UUID, *, lock: bool = False) -> SubscriptionPlan:
    plan = db.get(SubscriptionPlan, plan_id, with_for_update=lock)
    if plan is None:
        raise NotFound("No such plan.", code="plan_not_found")
    return plan


def _live_counts(db: Session, plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = db.execute(
        select(CompanySubscription.plan_id, func.count())
        .where(CompanySubscription.plan_id.in_(plan_ids), CompanySubscription.status.in_(LIVE_STATUSES))
        .group_by(CompanySubscription.plan_id)
    )
    return {plan_id: count for plan_id, count in rows}


def _out(db: Session, plan: SubscriptionPlan, counts: dict[uuid.UUID, int] | None = None) -> PlanOut:
    counts = counts if counts is not None else _live_counts(db, [plan.id])
    out = PlanOut.model_validate(plan)
    return out.model_copy(update={"live_subscriptions": counts.get(plan.id, 0)})


def _slug_taken(slug: str) -> Conflict:
    return Conflict(f"A plan with the slug {slug!r} exists already.", code="plan_slug_taken")


def _save(db: Session, plan: SubscriptionPlan) -> None:
    try:
        db.flush()
    except IntegrityError:  # a concurrent request took the slug between the check and the write
        raise _slug_taken(plan.slug) from None
    db.refresh(plan)


def _slug_free(db: Session, slug: str, plan_id: uuid.UUID | None = None) -> None:
    found = db.scalar(select(SubscriptionPlan.id).where(SubscriptionPlan.slug == slug))
    if found is not None and found != plan_id:
        raise _slug_taken(slug)


def list_plans(principal: Principal) -> list[PlanOut]:
    """Every plan, inactive and private ones too, cheapest first."""
    require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        plans = list(
            db.scalars(select(SubscriptionPlan).order_by(SubscriptionPlan.base_price, SubscriptionPlan.slug))
        )
        counts = _live_counts(db, [plan.id for plan in plans])
        return [_out(db, plan, counts) for plan in plans]


def get_plan(principal: Principal, plan_id: uuid.UUID) -> PlanOut:
    require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        return _out(db, _plan(db, plan_id))


def _columns(body: PlanIn | PlanPatch, fields: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(body, name) for name in fields}
    if "limits" in values:
        values["limits"] = body.limits.plan_values() if body.limits else {}
    if "features" in values:
        values["features"] = list(values["features"] or [])
    if "name" in values:
        values["name"] = values["name"].strip()
    return values


def create_plan(principal: Principal, body: PlanIn) -> PlanOut:
    require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        _slug_free(db, body.slug)
        plan = SubscriptionPlan(**_columns(body, set(PlanIn.model_fields)))
        db.add(plan)
        _save(db, plan)
        return _out(db, plan, {})


def update_plan(principal: Principal, plan_id: uuid.UUID, patch: PlanPatch) -> PlanOut:
    """Change a plan; `limits` and `features` are replaced whole. Live subscriptions on the plan see
    the new limits at once (their own custom limits still win)."""
    require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        plan = _plan(db, plan_id, lock=True)
        if patch.slug is not None:
            _slug_free(db, patch.slug, plan.id)
        for name, value in _columns(patch, patch.model_fields_set).items():
            setattr(plan, name, value)
        _save(db, plan)
        return _out(db, plan)


def remove_plan(principal: Principal, plan_id: uuid.UUID) -> PlanRemovedOut:
    """Delete a plan nobody ever subscribed to; deactivate one that has subscriptions."""
    require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        plan = _plan(db, plan_id, lock=True)
        used = db.scalar(
            select(CompanySubscription.id).where(CompanySubscription.plan_id == plan.id).limit(1)
        )
        if used is None:
            db.delete(plan)
            db.flush()
            return PlanRemovedOut(id=plan_id, outcome="deleted")
        plan.is_active = False
        _save(db, plan)
        return PlanRemovedOut(id=plan_id, outcome="deactivated", plan=_out(db, plan))
