"""Master admin billing API (console): the plan catalogue, companies' subscriptions, payment marks
and the subscription lifecycle job on demand. Every route is for master admins only."""

from __future__ import annotations

import uuid

from chatapp.api.access import PLATFORM
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.billing import plans, subscriptions
from chatapp.billing.payments import ManualPayments
from chatapp.billing.schemas import (
    LifecycleRunOut,
    PaymentFailedIn,
    PlanIn,
    PlanOut,
    PlanPatch,
    PlanRemovedOut,
    SubscriptionAssignIn,
    SubscriptionOut,
    SubscriptionPatch,
)

app = create_app("admin billing")


@app.get("/v1/admin/plans", response_model=list[PlanOut], tags=[PLATFORM])
async def list_plans(principal: Authenticated) -> list[PlanOut]:
    return plans.list_plans(principal)


@app.post("/v1/admin/plans", response_model=PlanOut, status_code=201, tags=[PLATFORM])
async def create_plan(body: PlanIn, principal: Authenticated) -> PlanOut:
    return plans.create_plan(principal, body)


@app.get("/v1/admin/plans/{plan_id}", response_model=PlanOut, tags=[PLATFORM])
async def get_plan(plan_id: uuid.UUID, principal: Authenticated) -> PlanOut:
    return plans.get_plan(principal, plan_id)


@app.patch("/v1/admin/plans/{plan_id}", response_model=PlanOut, tags=[PLATFORM])
async def update_plan(plan_id: uuid.UUID, body: PlanPatch, principal: Authenticated) -> PlanOut:
    return plans.update_plan(principal, plan_id, body)


@app.delete("/v1/admin/plans/{plan_id}", response_model=PlanRemovedOut, tags=[PLATFORM])
async def remove_plan(plan_id: uuid.UUID, principal: Authenticated) -> PlanRemovedOut:
    return plans.remove_plan(principal, plan_id)


@app.get("/v1/admin/companies/{company_id}/subscription", response_model=SubscriptionOut, tags=[PLATFORM])
async def get_subscription(company_id: uuid.UUID, principal: Authenticated) -> SubscriptionOut:
    return subscriptions.get_company_subscription(principal, company_id)


@app.put("/v1/admin/companies/{company_id}/subscription", response_model=SubscriptionOut, tags=[PLATFORM])
async def assign_subscription(
    company_id: uuid.UUID, body: SubscriptionAssignIn, principal: Authenticated
) -> SubscriptionOut:
    return subscriptions.assign(principal, company_id, body)


@app.patch("/v1/admin/companies/{company_id}/subscription", response_model=SubscriptionOut, tags=[PLATFORM])
async def update_subscription(
    company_id: uuid.UUID, body: SubscriptionPatch, principal: Authenticated
) -> SubscriptionOut:
    return subscriptions.update(principal, company_id, body)


@app.post("/v1/admin/subscriptions/{subscription_id}/unpaid", response_model=SubscriptionOut, tags=[PLATFORM])
async def mark_unpaid(
    subscription_id: uuid.UUID, body: PaymentFailedIn, principal: Authenticated
) -> SubscriptionOut:
    return ManualPayments(principal).payment_failed(subscription_id, body.reason)


@app.post("/v1/admin/subscriptions/{subscription_id}/paid", response_model=SubscriptionOut, tags=[PLATFORM])
async def mark_paid(subscription_id: uuid.UUID, principal: Authenticated) -> SubscriptionOut:
    return ManualPayments(principal).payment_succeeded(subscription_id)


@app.post("/v1/admin/jobs/subscription-lifecycle", response_model=LifecycleRunOut, tags=[PLATFORM])
async def run_subscription_lifecycle(principal: Authenticated) -> LifecycleRunOut:
    return subscriptions.run_lifecycle(principal)


handler = lambda_handler(app)
