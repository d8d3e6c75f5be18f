"""Every plan limit refuses exactly at its boundary (not one step before) and says which limit it is,
what the plan allows, what is used, and which public plan would lift it."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from chatapp.billing import usage
from chatapp.billing.quotas import GIB, effective_limits
from chatapp.db.models.billing import SubscriptionPlan, UsageRecord
from chatapp.db.models.core import User
from chatapp.db.models.knowledge import KnowledgeCategory, KnowledgeFile
from chatapp.db.models.team import Invitation
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import LimitExceeded
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant


@pytest.fixture
def tenant(owner_engine: Engine) -> KnowledgeTenant:
    return new_tenant(owner_engine, "Limits")


@pytest.fixture(scope="module")
def upgrade_plan(owner_engine: Engine) -> str:
    """A public plan cheaper than every other, with room for everything: the first upgrade offered."""
    slug = f"scale-{uuid.uuid4().hex[:6]}"
    with Session(owner_engine) as db, db.begin():
        db.add(
            SubscriptionPlan(
                slug=slug,
                name=f"Scale {slug[-6:]}",
                base_price=Decimal("0.01"),
                billing_cycle="monthly",
                limits={
                    "agentCount": 1000,
                    "supportSeats": 1000,
                    "knowledgeCategories": 1000,
                    "maxFileSize": 10**9,
                    "storageGb": 1000,
                    "messagesPerMonth": 10**7,
                    "apiRateLimit": 10_000,
                },
                features=["web", "whatsapp", "slack", "teams"],
            )
        )
    return slug


def _set_limits(owner_engine: Engine, company_id: uuid.UUID, limits: dict[str, Any]) -> None:
    with Session(owner_engine) as db, db.begin():
        db.execute(
            text(
                "UPDATE chatapp_company_subscriptions SET custom_limits = CAST(:l AS jsonb)"
                " WHERE company_id = :c"
            ),
            {"l": json.dumps(limits), "c": company_id},
        )


def _count(owner_engine: Engine, statement: Any) -> int:
    with Session(owner_engine) as db:
        return int(db.scalar(statement) or 0)


def _refusal(
    response: ApiResponse, code: str, limit: str, upgrade_plan: str, status: int = 402
) -> dict[str, Any]:
    assert response.status == status, response.body
    error = response.body["error"]
    assert error["code"] == code and error["limit"] == limit
    assert error["upgrade"][0]["plan"] == upgrade_plan, "the cheapest plan with more room comes first"
    assert "Scale" in error["message"], "the message names the upgrade"
    return dict(error)


def test_agent_count(tenant: KnowledgeTenant, owner_engine: Engine, upgrade_plan: str) -> None:
    from chatapp.db.models.agents import Agent

    company = tenant.data.company_id
    used = _count(owner_engine, select(func.count(Agent.id)).where(Agent.company_id == company))
    _set_limits(owner_engine, company, {"agentCount": used + 1})
    assert tenant.call("POST", "/v1/agents", json_body={"name": "at the limit"}).status == 201
    refused = tenant.call("POST", "/v1/agents", json_body={"name": "one too many"})
    error = _refusal(refused, "agent_limit_reached", "agentCount", upgrade_plan)
    assert error["allowed"] == used + 1 and error["used"] == used + 1
    assert error["upgrade"][0]["allows"] == 1000


def test_support_seats(
    tenant: KnowledgeTenant, owner_engine: Engine, upgrade_plan: str, local_aws: LocalAws
) -> None:
    company = tenant.data.company_id
    members = _count(
        owner_engine, select(func.count(User.id)).where(User.company_id == company, User.is_active.is_(True))
    )
    pending = _count(
        owner_engine,
        select(func.count(Invitation.id)).where(
            Invitation.company_id == company,
            Invitation.status == "pending",
            Invitation.expires_at > func.now(),
        ),
    )
    _set_limits(owner_engine, company, {"supportSeats": members + pending + 1})
    invite = {"email": f"seat-{uuid.uuid4().hex[:6]}@limits.example", "role": "support_agent"}
    assert tenant.call("POST", "/v1/team/invitations", json_body=invite).status == 201
    refused = tenant.call(
        "POST", "/v1/team/invitations", json_body={**invite, "email": f"x-{invite['email']}"}
    )
    assert (
        _refusal(refused, "seat_limit_reached", "supportSeats", upgrade_plan)["used"] == members + pending + 1
    )


def test_knowledge_categories(tenant: KnowledgeTenant, owner_engine: Engine, upgrade_plan: str) -> None:
    company = tenant.data.company_id
    used = _count(
        owner_engine, select(func.count(KnowledgeCategory.id)).where(KnowledgeCategory.company_id == company)
    )
    _set_limits(owner_engine, company, {"knowledgeCategories": used + 1})
    assert tenant.call("POST", "/v1/knowledge/categories", json_body={"name": "Last one"}).status == 201
    refused = tenant.call("POST", "/v1/knowledge/categories", json_body={"name": "Too many"})
    _refusal(refused, "category_limit_reached", "knowledgeCategories", upgrade_plan)


def test_file_size_and_storage(
    tenant: KnowledgeTenant, owner_engine: Engine, upgrade_plan: str, local_aws: LocalAws
) -> None:
    company = tenant.data.company_id
    category = tenant.category("Sizes")
    stored = _count(
        owner_engine,
        select(func.coalesce(func.sum(KnowledgeFile.size), 0)).where(KnowledgeFile.company_id == company),
    )
    room = 4096
    _set_limits(owner_engine, company, {"maxFileSize": 1000, "storageGb": (stored + room) / GIB})

    def upload(size: int) -> ApiResponse:
        body = {"category_id": category, "filename": "notes.md", "size": size}
        return tenant.call("POST", "/v1/knowledge/files/uploads", json_body=body)

    assert upload(1000).status == 201, "a file of exactly maxFileSize is allowed"
    assert _refusal(upload(1001), "file_too_large", "maxFileSize", upgrade_plan)["used"] == 1001
    # Announced uploads count: 1000 bytes are taken, 3096 remain.
    assert upload(1000).status == 201 and upload(1000).status == 201 and upload(1000).status == 201
    _refusal(upload(97), "storage_quota_exceeded", "storageGb", upgrade_plan)
    assert upload(96).status == 201, "the last byte of storage can be used"


def test_messages_per_month(tenant: KnowledgeTenant, owner_engine: Engine, upgrade_plan: str) -> None:
    company = tenant.data.company_id
    _set_limits(owner_engine, company, {"messagesPerMonth": 50})
    start, end = usage.usage_period()
    with Session(owner_engine) as db, db.begin():
        db.execute(text("DELETE FROM chatapp_usage_records WHERE company_id = :c"), {"c": company})
        db.add(UsageRecord(company_id=company, period_start=start, period_end=end, message_count=49))

    def allowance() -> None:
        with tenant_session(TenantContext.company_service(company)) as db:
            usage.require_message_allowance(db, company, effective_limits(db, company))

    allowance()  # 49 of 50 used: the 50th message may still come in
    with Session(owner_engine) as db, db.begin():
        db.execute(
            text("UPDATE chatapp_usage_records SET message_count = 50 WHERE company_id = :c"), {"c": company}
        )
    with pytest.raises(LimitExceeded) as refused:
        allowance()
    assert refused.value.code == "message_limit_reached"
    assert refused.value.details["used"] == 50 and refused.value.details["upgrade"][0]["plan"] == upgrade_plan


def test_channel_features(tenant: KnowledgeTenant, upgrade_plan: str) -> None:
    credentials = {"phoneNumberId": "1", "accessToken": "t", "appSecret": "s", "verifyToken": "v"}
    body = {"channel": "whatsapp", "agent_id": str(tenant.data.agent_id), "credentials": credentials}
    refused = tenant.call("POST", "/v1/channels", json_body=body)
    assert refused.status == 402 and refused.body["error"]["code"] == "channel_not_in_plan"
    assert refused.body["error"]["upgrade"][0]["plan"] == upgrade_plan
    assert refused.body["error"]["used"] == "whatsapp"


def test_api_rate_limit_across_keys(tenant: KnowledgeTenant, owner_engine: Engine, upgrade_plan: str) -> None:
    _set_limits(owner_engine, tenant.data.company_id, {"apiRateLimit": 3})
    keys = [
        tenant.call(
            "POST",
            "/v1/api-keys",
            json_body={"name": f"k{i}", "scopes": ["read:analytics"], "rate_limit": 100},
        ).body["key"]
        for i in range(2)
    ]
    api = ApiClient()
    for _ in range(3):  # a minute boundary between the calls resets the window: try again
        minute = int(time.time() // 60)
        statuses = [api.get("/v1/public/analytics/summary", token=keys[i % 2]) for i in range(4)]
        if int(time.time() // 60) == minute:
            break
    assert [r.status for r in statuses[:3]] == [200, 200, 200], "three calls fit, whichever key makes them"
    error = _refusal(statuses[3], "api_rate_limit_reached", "apiRateLimit", upgrade_plan, status=429)
    assert error["allowed"] == 3
    assert statuses[3].headers.get("retry-after")
