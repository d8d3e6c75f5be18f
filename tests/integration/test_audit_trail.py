"""Console changes leave an audit trail by themselves, and company admins page through it."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.audit_trail import REDACTED, _safe
from chatapp.db.models.audit import AuditLog
from tests.integration.http import ApiClient
from tests.integration.tenant_data import create_company, create_platform_rows


def test_changes_are_audited_with_before_and_after(api: ApiClient, owner_engine: Engine) -> None:
    with Session(owner_engine) as db, db.begin():
        company = create_company(db, "Audit", create_platform_rows(db))
    token = company.tokens["admin"]
    created = api.request("POST", "/v1/agents", token=token, json_body={"name": "Scribe"})
    agent_id = created.body["id"]
    api.request("PATCH", f"/v1/agents/{agent_id}", token=token, json_body={"personality": "Terse."})
    refused = api.request("POST", "/v1/agents", token=token, json_body={"name": "x", "system_prompt": "no"})
    assert refused.status == 403

    with Session(owner_engine) as db:
        entries = db.scalars(
            select(AuditLog).where(AuditLog.company_id == company.company_id).order_by(AuditLog.created_at)
        ).all()
    by_action = {e.action: e for e in entries if e.resource_type in ("agents", "widget_configs")}
    create = by_action["agents.create"]
    assert create.user_id == company.admin_id and str(create.resource_id) == agent_id
    assert create.details["after"]["name"] == "Scribe"
    assert str(create.ip_address) == "127.0.0.1"
    assert "widget_configs.create" in by_action  # the agent's widget came with it
    update = by_action["agents.update"]
    assert update.details["before"] == {"personality": None}
    assert update.details["after"] == {"personality": "Terse."}
    assert sum(1 for e in entries if e.action == "agents.create") == 1  # the refused one left nothing

    page = api.request("GET", "/v1/companies/me/audit-logs?limit=2", token=token)
    assert page.status == 200 and len(page.body["items"]) == 2
    assert page.body["items"][0]["action"] == "agents.update"  # newest first
    older = api.request(
        "GET", f"/v1/companies/me/audit-logs?limit=2&cursor={page.body['next_cursor']}", token=token
    )
    seen = {i["id"] for i in page.body["items"]}
    assert older.status == 200 and not seen & {i["id"] for i in older.body["items"]}
    filtered = api.request("GET", "/v1/companies/me/audit-logs?action=agents.create", token=token)
    assert [i["action"] for i in filtered.body["items"]] == ["agents.create"]
    assert api.request("GET", "/v1/companies/me/audit-logs", token=company.tokens["support"]).status == 403


def test_other_companies_never_see_the_log(api: ApiClient, owner_engine: Engine) -> None:
    with Session(owner_engine) as db, db.begin():
        plan = create_platform_rows(db)
        first, second = create_company(db, "Log1", plan), create_company(db, "Log2", plan)
    api.request("POST", "/v1/agents", token=first.tokens["admin"], json_body={"name": "Private"})
    theirs = api.request("GET", "/v1/companies/me/audit-logs", token=second.tokens["admin"]).body["items"]
    assert all(item["details"].get("after", {}).get("name") != "Private" for item in theirs)


def test_secrets_never_reach_the_log() -> None:
    for column in ("session_token", "webhook_secret", "key_hash", "credentials", "password"):
        assert _safe(column, "s3cr3t") == REDACTED
    assert _safe("name", "Scribe") == "Scribe"
