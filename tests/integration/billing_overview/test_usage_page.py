"""The company admin's billing pages: usage against every limit, the subscription, and the plans."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from chatapp.billing.usage import usage_period
from chatapp.db.models.billing import UsageRecord
from tests.integration.stack import KnowledgeTenant, new_tenant


@pytest.fixture
def tenant(owner_engine: Engine) -> KnowledgeTenant:
    return new_tenant(owner_engine, "Billing")


def test_usage_against_every_limit(tenant: KnowledgeTenant, owner_engine: Engine) -> None:
    company = tenant.data.company_id
    limits = {
        "messagesPerMonth": 1000,
        "agentCount": 4,
        "supportSeats": 10,
        "knowledgeCategories": 5,
        "storageGb": 1,
        "attachmentStorageGb": 2,
        "maxFileSize": 1048576,
        "apiRateLimit": 60,
    }
    start, end = usage_period()
    with Session(owner_engine) as db, db.begin():
        db.execute(
            text(
                "UPDATE chatapp_company_subscriptions SET custom_limits = CAST(:l AS jsonb)"
                " WHERE company_id = :c"
            ),
            {"l": json.dumps(limits), "c": company},
        )
        db.execute(text("DELETE FROM chatapp_usage_records WHERE company_id = :c"), {"c": company})
        db.add(
            UsageRecord(
                company_id=company,
                period_start=start,
                period_end=end,
                message_count=250,
                ai_response_count=120,
                token_count=9000,
                api_calls=7,
                estimated_cost=Decimal("0.1234"),
            )
        )
        agents = db.scalar(
            text("SELECT count(*) FROM chatapp_agents WHERE company_id = :c AND deleted_at IS NULL"),
            {"c": company},
        )
    response = tenant.call("GET", "/v1/billing/usage")
    assert response.status == 200, response.body
    body = response.body
    by_limit = {row["limit"]: row for row in body["limits"]}
    assert set(by_limit) == set(limits), "every limit of the plan is reported"
    assert by_limit["messagesPerMonth"] == {
        "limit": "messagesPerMonth",
        "unit": "messages a month",
        "allowed": 1000,
        "used": 250,
        "remaining": 750,
        "percent_used": 25.0,
        "reached": False,
    }
    assert by_limit["agentCount"]["used"] == agents and by_limit["agentCount"]["allowed"] == 4
    assert by_limit["maxFileSize"]["used"] is None and by_limit["maxFileSize"]["allowed"] == 1048576
    assert by_limit["attachmentStorageGb"]["allowed"] == 2 and by_limit["attachmentStorageGb"]["used"] == 0
    assert body["messages"] == 250 and body["ai_responses"] == 120 and body["api_calls"] == 7
    assert Decimal(str(body["estimated_cost"])) == Decimal("0.1234")
    assert body["period_start"].startswith(start.strftime("%Y-%m-01"))

    # Another company's usage never shows up, and support agents are not shown billing.
    other = new_tenant(owner_engine, "Other")
    assert other.call("GET", "/v1/billing/usage").body["messages"] == 0
    support = tenant.api.get("/v1/billing/usage", token=tenant.data.tokens["support"])
    assert support.status == 403


def test_subscription_and_plans(tenant: KnowledgeTenant, owner_engine: Engine) -> None:
    subscription = tenant.call("GET", "/v1/billing/subscription")
    assert subscription.status == 200, subscription.body
    assert subscription.body["status"] in {"trial", "active"}
    assert subscription.body["company_status"] == "active"
    plans = tenant.call("GET", "/v1/billing/plans").body
    mine = [plan for plan in plans if plan["current"]]
    assert [plan["slug"] for plan in mine] == [subscription.body["plan"]]
    prices = [Decimal(str(plan["base_price"])) for plan in plans]
    assert prices == sorted(prices), "cheapest first"

    with Session(owner_engine) as db, db.begin():
        db.execute(
            text("UPDATE chatapp_company_subscriptions SET status = 'expired' WHERE company_id = :c"),
            {"c": tenant.data.company_id},
        )
    lapsed = tenant.call("GET", "/v1/billing/subscription").body
    assert lapsed["status"] == "expired", "a lapsed company still sees its last subscription"
    assert tenant.call("GET", "/v1/billing/usage").body["error"]["code"] == "no_active_subscription"
    assert not any(plan["current"] for plan in tenant.call("GET", "/v1/billing/plans").body)
