"""Billing for company admins: the subscription, usage against every plan limit, and the plans on offer.

These pages stay readable while the company is suspended (see `company_status`): they say why.
"""

from __future__ import annotations

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.billing import overview
from chatapp.billing.schemas import CatalogPlanOut, CompanySubscriptionOut, UsageOut

app = create_app("billing")


@app.get("/v1/billing/subscription", response_model=CompanySubscriptionOut, tags=[ADMIN])
async def get_subscription(principal: Authenticated) -> CompanySubscriptionOut:
    return overview.subscription(principal)


@app.get("/v1/billing/usage", response_model=UsageOut, tags=[ADMIN])
async def get_usage(principal: Authenticated) -> UsageOut:
    return overview.usage(principal)


@app.get("/v1/billing/plans", response_model=list[CatalogPlanOut], tags=[ADMIN])
async def list_plans(principal: Authenticated) -> list[CatalogPlanOut]:
    return overview.plans(principal)


handler = lambda_handler(app)
