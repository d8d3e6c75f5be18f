"""The master admin billing API: plans CRUD with validation, assigning and editing a company's
subscription, the lifecycle job on demand, and nobody else getting in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.billing.quotas import effective_limits
from chatapp.billing.schemas import FEATURES
from chatapp.db.enums import ChannelType
from chatapp.db.enums import SubscriptionStatus as S
from chatapp.db.models.audit import AuditLog
from chatapp.db.models.billing import CompanySubscription
from chatapp.db.tenancy import TenantContext, tenant_session
from tests.integration.billing.conftest import MasterAdmin, subscribed
from tests.integration.http import ApiClient
from tests.integration.stack import new_tenant
from tests.integration.tenant_data import Tenants


def plan_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Scale",
        "slug": f"scale-{uuid.uuid4().hex[:8]}",
        "description": "For busy teams",
        "base_price": "499.00",
        "setup_fee": "99.50",
        "currency": "EUR",
        "billing_cycle": "quarterly",
        "limits": {"messagesPerMonth": 100000, "agentCount": 20, "storageGb": 2.5, "trialDays": 0},
        "features": ["web", "whatsapp", "web", "voice"],
        "is_public": False,
        **overrides,
    }


def test_every_channel_is_a_plan_feature() -> None:
    assert {channel.value for channel in ChannelType} <= set(FEATURES)


def test_plans_crud(master: MasterAdmin) -> None:
    created = master.call("POST", "/v1/admin/plans", plan_body(slug="scale-crud-" + uuid.uuid4().hex[:6]))
    assert created.status == 201, created.body
    plan = created.body
    assert plan["base_price"] == "499.00" and plan["setup_fee"] == "99.50" and plan["currency"] == "EUR"
    assert plan["limits"] == {"messagesPerMonth": 100000, "agentCount": 20, "storageGb": 2.5, "trialDays": 0}
    assert plan["features"] == ["web", "whatsapp", "voice"] and plan["is_active"] is True
    assert plan["live_subscriptions"] == 0

    changed = master.call(
        "PATCH",
        f"/v1/admin/plans/{plan['id']}",
        {"base_price": 510, "limits": {"agentCount": 25}, "description": None, "is_public": True},
    )
    assert changed.status == 200, changed.body
    assert changed.body["base_price"] == "510.00" and changed.body["limits"] == {"agentCount": 25}
    assert changed.body["description"] is None and changed.body["slug"] == plan["slug"]
    assert master.call("GET", f"/v1/admin/plans/{plan['id']}").body == changed.body

    removed = master.call("DELETE", f"/v1/admin/plans/{plan['id']}")
    assert removed.status == 200 and removed.body == {"id": plan["id"], "outcome": "deleted", "plan": None}
    gone = master.call("GET", f"/v1/admin/plans/{plan['id']}")
    assert gone.status == 404 and gone.body["error"]["code"] == "plan_not_found"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "-x"}, "slug"),
        ({"base_price": -1}, "base_price"),
        ({"base_price": "12.345"}, "base_price"),
        ({"base_price": "12345678901"}, "base_price"),
        ({"setup_fee": "-0.01"}, "setup_fee"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"billing_cycle": "weekly"}, "billing_cycle"),
        ({"limits": {"messagesPerMonth": -1}}, "messagesPerMonth"),
        ({"limits": {"agentCount": 1.5}}, "agentCount"),
        ({"limits": {"seats": 3}}, "seats"),
        ({"limits": {"trialDays": -1}}, "trialDays"),
        ({"features": ["fax"]}, "features"),
        ({"name": ""}, "name"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_invalid_plans_are_refused_with_the_field(
    master: MasterAdmin, change: dict[str, Any], field: str
) -> None:
    refused = master.call("POST", "/v1/admin/plans", plan_body(**change))
    assert refused.status == 422, refused.body
    assert refused.body["error"]["code"] == "invalid_input"
    assert any(field in problem["field"] for problem in refused.body["error"]["fields"]), refused.body


def test_plan_slugs_are_unique_and_required_fields_cannot_be_nulled(master: MasterAdmin) -> None:
    first = master.call("POST", "/v1/admin/plans", plan_body()).body
    second = master.call("POST", "/v1/admin/plans", plan_body()).body
    taken = master.call("POST", "/v1/admin/plans", plan_body(slug=first["slug"]))
    assert taken.status == 409 and taken.body["error"]["code"] == "plan_slug_taken"
    renamed = master.call("PATCH", f"/v1/admin/plans/{second['id']}", {"slug": first["slug"]})
    assert renamed.status == 409 and renamed.body["error"]["code"] == "plan_slug_taken"
    nulled = master.call("PATCH", f"/v1/admin/plans/{second['id']}", {"base_price": None})
    assert nulled.status == 422
    missing = master.call("PATCH", f"/v1/admin/plans/{uuid.uuid4()}", {"name": "x"})
    assert missing.status == 404


def test_assigning_a_plan_replaces_the_live_subscription(
    master: MasterAdmin, owner_engine: Engine, tenants: Tenants
) -> None:
    company = new_tenant(owner_engine, "Assign").data
    plan = master.call("POST", "/v1/admin/plans", plan_body(billing_cycle="monthly")).body
    path = f"/v1/admin/companies/{company.company_id}/subscription"
    old = master.call("GET", path).body

    before = datetime.now(UTC)
    assigned = master.call(
        "PUT",
        path,
        {
            "plan_id": plan["id"],
            "custom_price": "450.00",
            "custom_limits": {"agentCount": 40, "messagesPerMonth": None},
            "grace_period_days": 14,
            "auto_renew": False,
            "notes": "negotiated annual deal",
        },
    )
    assert assigned.status == 200, assigned.body
    new = assigned.body
    assert new["id"] != old["id"] and new["status"] == "active" and new["plan_slug"] == plan["slug"]
    assert new["custom_price"] == "450.00" and new["custom_limits"] == {
        "agentCount": 40,
        "messagesPerMonth": None,
    }
    starts = datetime.fromisoformat(new["starts_at"])
    assert before <= starts <= datetime.now(UTC) and new["trial_ends_at"] is None
    assert datetime.fromisoformat(new["expires_at"]) > starts + timedelta(days=27)
    with Session(owner_engine) as db:
        previous = db.get(CompanySubscription, uuid.UUID(old["id"]))
        assert (
            previous is not None
            and previous.status.value == "cancelled"
            and previous.cancelled_at is not None
        )
    assert master.call("GET", path).body == new
    with tenant_session(TenantContext.company_service(company.company_id)) as db:
        limits = effective_limits(db, company.company_id)
    assert limits.plan_slug == plan["slug"]
    assert limits.number("agentCount") == 40 and limits.number("messagesPerMonth") is None  # unlimited

    edited = master.call(
        "PATCH", path, {"custom_price": None, "auto_renew": True, "notes": "back to list price"}
    )
    assert edited.status == 200, edited.body
    assert edited.body["id"] == new["id"] and edited.body["expires_at"] == new["expires_at"]
    assert edited.body["custom_price"] is None and edited.body["auto_renew"] is True
    assert master.call("PATCH", path, {"auto_renew": None}).status == 422

    trial = master.call("PUT", path, {"plan_id": plan["id"], "trial_days": 10}).body
    assert trial["status"] == "trial" and trial["trial_ends_at"] == trial["expires_at"]
    ends = datetime.fromisoformat(trial["trial_ends_at"]) - datetime.fromisoformat(trial["starts_at"])
    assert ends == timedelta(days=10)

    with Session(owner_engine) as db:
        live = db.scalars(
            select(CompanySubscription.status).where(CompanySubscription.company_id == company.company_id)
        ).all()
    assert sorted(status.value for status in live) == ["cancelled", "cancelled", "trial"]
    with Session(owner_engine) as db:
        entries = db.scalars(
            select(AuditLog.action).where(
                AuditLog.company_id == company.company_id,
                AuditLog.action.startswith("subscription."),
                AuditLog.user_id == tenants.master_admin_id,
            )
        ).all()
    expected = ["subscription.assigned"] * 2 + ["subscription.cancelled"] * 2 + ["subscription.updated"]
    assert sorted(entries) == expected


def test_plans_in_use_are_deactivated_not_deleted_and_cannot_be_assigned(
    master: MasterAdmin, owner_engine: Engine
) -> None:
    company = new_tenant(owner_engine, "Deact").data
    plan = master.call("POST", "/v1/admin/plans", plan_body()).body
    path = f"/v1/admin/companies/{company.company_id}/subscription"
    assert master.call("PUT", path, {"plan_id": plan["id"]}).status == 200
    assert master.call("GET", f"/v1/admin/plans/{plan['id']}").body["live_subscriptions"] == 1

    removed = master.call("DELETE", f"/v1/admin/plans/{plan['id']}")
    assert removed.status == 200 and removed.body["outcome"] == "deactivated"
    assert removed.body["plan"]["is_active"] is False
    listed = master.call("GET", "/v1/admin/plans").body
    assert any(p["id"] == plan["id"] and p["is_active"] is False for p in listed)  # inactive plans are listed
    refused = master.call("PUT", path, {"plan_id": plan["id"]})
    assert refused.status == 409 and refused.body["error"]["code"] == "plan_inactive"
    assert master.call("GET", path).body["plan_id"] == plan["id"]  # the company keeps its subscription
    unknown = master.call("PUT", f"/v1/admin/companies/{uuid.uuid4()}/subscription", {"plan_id": plan["id"]})
    assert unknown.status == 404 and unknown.body["error"]["code"] == "company_not_found"


def test_changing_the_grace_days_during_a_grace_period_moves_its_end(
    master: MasterAdmin, owner_engine: Engine
) -> None:
    ends = datetime(2024, 2, 10, tzinfo=UTC)
    company = subscribed(
        owner_engine,
        "Grace",
        status=S.GRACE_PERIOD,
        starts_at=ends - timedelta(days=40),
        expires_at=ends - timedelta(days=10),
        past_due_at=ends - timedelta(days=10),
        grace_period_ends_at=ends,
        grace_period_days=7,
    )
    path = f"/v1/admin/companies/{company.data.company_id}/subscription"
    longer = master.call("PATCH", path, {"grace_period_days": 10})
    assert longer.status == 200, longer.body
    assert datetime.fromisoformat(longer.body["grace_period_ends_at"]) == ends + timedelta(days=3)
    assert longer.body["status"] == "grace_period" and longer.body["grace_period_days"] == 10


def test_the_lifecycle_job_runs_on_demand(master: MasterAdmin) -> None:
    ran = master.call("POST", "/v1/admin/jobs/subscription-lifecycle")
    assert ran.status == 200, ran.body
    assert set(ran.body) == {"now", "checked", "transitions", "reminders", "skipped", "failed"}
    assert ran.body["failed"] == 0


# Each with a valid body, so the refusal is the role's and not the input's.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/v1/admin/plans", None),
    ("POST", "/v1/admin/plans", plan_body()),
    ("GET", "/v1/admin/plans/{plan}", None),
    ("PATCH", "/v1/admin/plans/{plan}", {"name": "Mine now"}),
    ("DELETE", "/v1/admin/plans/{plan}", None),
    ("GET", "/v1/admin/companies/{company}/subscription", None),
    ("PUT", "/v1/admin/companies/{company}/subscription", {"plan_id": "{plan}"}),
    ("PATCH", "/v1/admin/companies/{company}/subscription", {"custom_limits": {"agentCount": 999}}),
    ("POST", "/v1/admin/subscriptions/{subscription}/unpaid", {"reason": "x"}),
    ("POST", "/v1/admin/subscriptions/{subscription}/paid", None),
    ("POST", "/v1/admin/jobs/subscription-lifecycle", None),
]


@pytest.mark.parametrize(("method", "route", "body"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
def test_company_admins_and_support_agents_are_refused(
    api: ApiClient, tenants: Tenants, owner_engine: Engine, method: str, route: str, body: Any
) -> None:
    a = tenants.a
    with Session(owner_engine) as db:
        subscription = db.scalar(
            select(CompanySubscription).where(CompanySubscription.company_id == a.company_id)
        )
        assert subscription is not None
        plan_id, snapshot = subscription.plan_id, (subscription.status, subscription.updated_at)
    path = route.format(plan=plan_id, company=a.company_id, subscription=subscription.id)
    if body == {"plan_id": "{plan}"}:
        body = {"plan_id": str(plan_id)}
    for token in (a.tokens["admin"], a.tokens["support"]):
        refused = api.request(method, path, token=token, json_body=body)
        assert refused.status == 403, (path, refused.body)
        assert refused.body["error"]["code"] == "role_not_allowed"
    with Session(owner_engine) as db:
        row = db.get(CompanySubscription, subscription.id)
        assert row is not None and (row.status, row.updated_at) == snapshot
