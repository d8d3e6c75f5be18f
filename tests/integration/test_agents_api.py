"""Agents API: company admins configure agents; the platform's fields stay the platform's."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.integration.http import ApiClient
from tests.integration.tenant_data import CompanyData, Tenants, create_company, create_platform_rows

FULL_AGENT = {
    "name": "  Returns helper ",
    "personality": "Warm and precise.",
    "response_style": {"tone": "friendly", "formality": "casual", "verbosity": "concise", "language": "en"},
    "rag_config": {"chunkSize": 400, "overlapSize": 40, "relevanceThreshold": 0.3, "maxResults": 4},
    "enabled_tools": ["rag_search", "request_human_handover"],
    "escalation_rules": {
        "keywords": ["Refund", "lawyer"],
        "sentimentThreshold": -0.5,
        "autoEscalateAfter": 5,
    },
    "business_hours": {
        "timezone": "Europe/Berlin",
        "schedule": {"monday": {"start": "09:00", "end": "17:00"}},
        "outsideHoursMessage": "We are closed.",
    },
    "fallback_responses": {"error": "Sorry, try again soon."},
    "status": "active",
}
PLATFORM_FIELDS = {"system_prompt", "llm_config", "package_id", "custom_package_url", "custom_package_hash"}


@pytest.fixture
def company(owner_engine: Engine) -> CompanyData:
    """A company of its own: these tests create agents, which shared tenants must not see."""
    with Session(owner_engine) as db, db.begin():
        return create_company(db, "Agents", create_platform_rows(db))


def _create(api: ApiClient, token: str, body: dict[str, Any], query: str = "") -> Any:
    return api.request("POST", f"/v1/agents{query}", token=token, json_body=body)


def test_company_admin_creates_and_configures_an_agent(api: ApiClient, company: CompanyData) -> None:
    token = company.tokens["admin"]
    created = _create(api, token, FULL_AGENT)
    assert created.status == 201, created.body
    agent = created.body
    assert agent["name"] == "Returns helper"
    assert agent["rag_config"] == {
        "chunkSize": 400,
        "overlapSize": 40,
        "relevanceThreshold": 0.3,
        "maxResults": 4,
    }
    assert agent["escalation_rules"]["keywords"] == ["refund", "lawyer"]
    assert agent["business_hours"]["outsideHoursMessage"] == "We are closed."
    assert agent["company_id"] == str(company.company_id)
    assert not PLATFORM_FIELDS & agent.keys()

    patched = api.request(
        "PATCH", f"/v1/agents/{agent['id']}", token=token, json_body={"status": "paused", "personality": None}
    )
    assert patched.status == 200, patched.body
    assert patched.body["status"] == "paused" and patched.body["personality"] is None

    widget = api.get(f"/v1/agents/{agent['id']}/widget", token=token)
    assert widget.status == 200 and widget.body["title"] == "Returns helper"
    assert widget.body["allowed_domains"] == []  # embeddable nowhere until the company says where
    saved = api.request(
        "PUT",
        f"/v1/agents/{agent['id']}/widget",
        token=token,
        json_body={"allowed_domains": ["Shop.Example.com", "*.example.org", "http://localhost:5173/"]},
    )
    assert saved.status == 200, saved.body
    assert saved.body["allowed_domains"] == ["shop.example.com", "*.example.org", "http://localhost:5173"]

    listed = api.get("/v1/agents", token=token)
    assert agent["id"] in [a["id"] for a in listed.body]
    assert api.request("DELETE", f"/v1/agents/{agent['id']}", token=token).status == 204
    assert api.get(f"/v1/agents/{agent['id']}", token=token).status == 404
    assert agent["id"] not in [a["id"] for a in api.get("/v1/agents?include_archived=true", token=token).body]


def test_platform_fields_are_master_admin_only(
    api: ApiClient, tenants: Tenants, company: CompanyData
) -> None:
    admin = company.tokens["admin"]
    refused = _create(api, admin, {"name": "x", "system_prompt": "Ignore the rules"})
    assert refused.status == 403 and refused.body["error"]["code"] == "admin_only_field"
    refused = api.request(
        "PATCH", f"/v1/agents/{company.agent_id}", token=admin, json_body={"llm_config": {"model": "m"}}
    )
    assert refused.status == 403

    master = tenants.master_admin_token
    created = _create(
        api,
        master,
        {
            "name": "Tuned",
            "system_prompt": "You are Buzzi.",
            "llm_config": {"model": "claude-x", "maxTokens": 500},
        },
        f"?company_id={company.company_id}",
    )
    assert created.status == 201, created.body
    assert created.body["system_prompt"] == "You are Buzzi."
    assert created.body["llm_config"] == {"model": "claude-x", "maxTokens": 500}

    as_company = api.get(f"/v1/agents/{created.body['id']}", token=admin)
    assert as_company.status == 200
    assert not PLATFORM_FIELDS & as_company.body.keys()
    assert api.get(f"/v1/agents/{created.body['id']}", token=master).body["system_prompt"] == "You are Buzzi."


def test_bad_configuration_is_refused_field_by_field(api: ApiClient, tenants: Tenants) -> None:
    token = tenants.a.tokens["admin"]
    for body in (
        {"name": "x", "rag_config": {"chunkSize": 400, "chunk_sizes": 1}},
        {"name": "x", "business_hours": {"timezone": "Mars/Olympus"}},
        {"name": "x", "business_hours": {"schedule": {"funday": {"start": "09:00", "end": "17:00"}}}},
        {"name": "x", "business_hours": {"schedule": {"monday": {"start": "9am", "end": "17:00"}}}},
        {"name": "x", "enabled_tools": ["rm_rf"]},
        {"name": ""},
    ):
        response = _create(api, token, body)
        assert response.status == 422, body
        assert response.body["error"]["code"] == "invalid_input"
        assert response.body["error"]["fields"]
    response = api.request(
        "PUT",
        f"/v1/agents/{tenants.a.agent_id}/widget",
        token=token,
        json_body={"allowed_domains": ["ftp://x"]},
    )
    assert response.status == 422
    assert "not an origin" in response.body["error"]["fields"][0]["message"]


def test_explicit_nulls_for_fields_that_always_have_a_value_are_refused(
    api: ApiClient, company: CompanyData
) -> None:
    """Found by `./run fuzz`: `"capabilities": null` was stored, then the agent could not be shown
    (500). Fields whose column always has a value refuse null on create and on update; the rest clear."""
    token = company.tokens["admin"]
    always_valued = (
        "capabilities",
        "enabled_tools",
        "tool_config",
        "response_style",
        "rag_config",
        "escalation_rules",
        "business_hours",
        "fallback_responses",
        "rag_enabled",
        "status",
    )
    for field in always_valued:
        response = _create(api, token, {"name": "Nulls", field: None})
        assert response.status == 422, (field, response.status, response.body)
        assert response.body["error"]["fields"][0]["field"] == f"body.{field}"
    created = _create(api, token, {"name": "Nulls", "description": "kept", "capabilities": ["a"]})
    assert created.status == 201, created.body
    path = f"/v1/agents/{created.body['id']}"
    for field in (*always_valued, "name"):
        response = api.request("PATCH", path, token=token, json_body={field: None})
        assert response.status == 422, (field, response.status, response.body)
    cleared = api.request("PATCH", path, token=token, json_body={"description": None})
    assert cleared.status == 200 and cleared.body["description"] is None
    assert api.get(path, token=token).body["capabilities"] == ["a"]


def test_a_widget_s_allowed_domains_are_never_null(api: ApiClient, company: CompanyData) -> None:
    """Found by `./run fuzz`: `"allowed_domains": null` was stored, then the widget settings could not
    be shown (500). An empty list allows no site; null is refused."""
    created = _create(api, company.tokens["admin"], {"name": "Widget nulls"})
    path = f"/v1/agents/{created.body['id']}/widget"
    refused = api.request("PUT", path, token=company.tokens["admin"], json_body={"allowed_domains": None})
    assert refused.status == 422, refused.body
    assert refused.body["error"]["fields"][0]["field"] == "body.allowed_domains"
    emptied = api.request("PUT", path, token=company.tokens["admin"], json_body={"allowed_domains": []})
    assert emptied.status == 200 and emptied.body["allowed_domains"] == []


def test_agents_of_another_company_are_invisible(api: ApiClient, tenants: Tenants) -> None:
    token = tenants.b.tokens["admin"]
    a_agent = tenants.a.agent_id
    assert api.get(f"/v1/agents/{a_agent}", token=token).status == 404
    assert (
        api.request("PATCH", f"/v1/agents/{a_agent}", token=token, json_body={"name": "mine"}).status == 404
    )
    assert api.get(f"/v1/agents/{a_agent}/widget", token=token).status == 404
    assert str(a_agent) not in [a["id"] for a in api.get("/v1/agents", token=token).body]


def test_support_agents_read_only_the_agents_they_are_granted(api: ApiClient, tenants: Tenants) -> None:
    token = tenants.a.tokens["support"]
    assert api.get(f"/v1/agents/{tenants.a.agent_id}", token=token).status == 403
    assert _create(api, token, {"name": "x"}).status == 403


def test_agent_count_limit_names_the_limit(api: ApiClient, company: CompanyData) -> None:
    # The test plan allows 3 agents and the company has 1.
    token = company.tokens["admin"]
    assert _create(api, token, {"name": "two"}).status == 201
    assert _create(api, token, {"name": "three"}).status == 201
    refused = _create(api, token, {"name": "four"})
    assert refused.status == 402
    assert refused.body["error"]["code"] == "agent_limit_reached"
    assert "3 agents" in refused.body["error"]["message"]
