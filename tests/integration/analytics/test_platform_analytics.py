"""The master admin's platform figures: measured as the change a few known companies make, since the
test database holds every other test's companies too."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import rollup_date
from chatapp.billing.usage import usage_period
from chatapp.db.enums import SubscriptionStatus
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan, UsageRecord
from chatapp.db.models.core import Company
from tests.integration.analytics.conftest import DAY, Scenario
from tests.integration.http import ApiClient
from tests.integration.tenant_data import Tenants

PATH = f"/v1/admin/analytics?from={DAY}&to={DAY}"


def _overview(api: ApiClient, tenants: Tenants) -> dict[str, Any]:
    response = api.get(PATH, token=tenants.master_admin_token)
    assert response.status == 200, response.body
    return response.body


def _mrr(body: dict[str, Any]) -> dict[str, tuple[Decimal, int]]:
    return {row["currency"]: (Decimal(row["mrr"]), row["subscriptions"]) for row in body["mrr"]}


def _add_companies(owner_engine: Engine) -> uuid.UUID:
    now = datetime.now(UTC)
    with Session(owner_engine) as db, db.begin():
        quarterly = SubscriptionPlan(
            slug=f"q-{uuid.uuid4().hex[:8]}",
            name="Q",
            base_price=Decimal("300"),
            billing_cycle="quarterly",
            limits={},
        )
        annual = SubscriptionPlan(
            slug=f"y-{uuid.uuid4().hex[:8]}",
            name="Y",
            base_price=Decimal("1200"),
            currency="EUR",
            billing_cycle="annual",
            limits={},
        )
        db.add_all([quarterly, annual])
        db.flush()
        subscriptions = [  # (company status, plan, subscription status, custom price)
            ("active", quarterly, SubscriptionStatus.ACTIVE, Decimal("90")),  # 30 USD a month
            ("active", annual, SubscriptionStatus.GRACE_PERIOD, None),  # 100 EUR a month
            ("active", quarterly, SubscriptionStatus.TRIAL, None),  # pays nothing yet
            ("suspended", quarterly, SubscriptionStatus.EXPIRED, None),
        ]
        ids = []
        for status, plan, subscription_status, price in subscriptions:
            company = Company(name="Platform figures", slug=f"pf-{uuid.uuid4().hex[:8]}", status=status)
            db.add(company)
            db.flush()
            ids.append(company.id)
            db.add(
                CompanySubscription(
                    company_id=company.id,
                    plan_id=plan.id,
                    status=subscription_status,
                    custom_price=price,
                    starts_at=now - timedelta(days=1),
                    expires_at=now + timedelta(days=30),
                )
            )
        start, end = usage_period(now)
        db.add(
            UsageRecord(
                company_id=ids[0],
                period_start=start,
                period_end=end,
                message_count=7,
                ai_response_count=3,
                token_count=1000,
                api_calls=2,
                estimated_cost=Decimal("0.5"),
            )
        )
    return ids[0]


def test_platform_figures(scenario: Scenario, api: ApiClient, tenants: Tenants, owner_engine: Engine) -> None:
    rollup_date(DAY)
    before = _overview(api, tenants)
    _add_companies(owner_engine)
    after = _overview(api, tenants)

    assert after["companies_total"] == before["companies_total"] + 4
    assert after["companies_total"] == sum(after["companies_by_status"].values())
    assert after["companies_by_status"]["suspended"] == before["companies_by_status"].get("suspended", 0) + 1
    assert after["trial_subscriptions"] == before["trial_subscriptions"] + 1
    old, new = _mrr(before), _mrr(after)
    assert new["USD"] == (old["USD"][0] + Decimal("30.00"), old["USD"][1] + 1)
    assert new["EUR"][0] - old.get("EUR", (Decimal(0), 0))[0] == Decimal("100.00")

    usage_before, usage_after = before["usage_this_month"], after["usage_this_month"]
    assert usage_after["period_start"] == str(usage_period(datetime.now(UTC))[0].date())
    for name, added in (
        ("companies", 1),
        ("messages", 7),
        ("ai_responses", 3),
        ("tokens", 1000),
        ("api_calls", 2),
    ):
        assert usage_after[name] == usage_before[name] + added, name
    assert Decimal(usage_after["estimated_cost"]) == Decimal(usage_before["estimated_cost"]) + Decimal("0.5")

    # The range's totals are every company's rows of DAY, the scenario's two companies among them.
    with Session(owner_engine) as db:
        conversations, messages, companies = db.execute(
            select(
                func.sum(DailyAnalytics.total_conversations),
                func.sum(DailyAnalytics.total_messages),
                func.count(func.distinct(DailyAnalytics.company_id)),
            ).where(DailyAnalytics.date == DAY)
        ).one()
    totals = after["totals"]
    assert (totals["total_conversations"], totals["total_messages"]) == (conversations, messages)
    assert after["active_companies"] == companies >= 2
    top = {row["company_id"]: row for row in after["top_companies"]}
    assert top[str(scenario.a.company_id)]["total_conversations"] == 6
    assert top[str(scenario.b.company_id)]["total_messages"] == 4


def test_company_admins_cannot_see_platform_figures(
    scenario: Scenario, api: ApiClient, tenants: Tenants
) -> None:
    response = api.get(PATH, token=scenario.a.tokens["admin"])
    assert response.status == 403 and response.body["error"]["code"] == "role_not_allowed"
    assert (
        api.get("/v1/admin/analytics?from=2026-06-10&to=2025-01-01", token=scenario.a.tokens["admin"]).status
        == 403
    )
    backwards = api.get("/v1/admin/analytics?from=2026-06-10&to=2025-01-01", token=tenants.master_admin_token)
    assert backwards.status == 400 and backwards.body["error"]["code"] == "invalid_range"
