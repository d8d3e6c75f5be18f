"""API key management (console) and how keys authenticate: shown once, stored as a digest, scoped,
rate limited per key, metered, revocable and expiring."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from chatapp.billing.usage import usage_period
from chatapp.db.models.audit import AuditLog
from chatapp.db.models.billing import UsageRecord
from chatapp.db.models.channels import ApiKey
from chatapp.security import token_digest
from tests.integration.api_keys.conftest import KeyedCompany, error_code


def _row(owner_engine: Engine, key_id: str) -> ApiKey:
    with Session(owner_engine) as db:
        row = db.get(ApiKey, key_id)
        assert row is not None
        db.expunge(row)
        return row


def _api_calls(owner_engine: Engine, company: KeyedCompany) -> int:
    start, _ = usage_period()
    with Session(owner_engine) as db:
        value = db.scalar(
            select(UsageRecord.api_calls).where(
                UsageRecord.company_id == company.data.company_id,
                UsageRecord.agent_id.is_(None),
                UsageRecord.period_start == start,
            )
        )
    return int(value or 0)


def test_a_new_key_is_shown_once_and_stored_as_prefix_and_digest(
    company: KeyedCompany, owner_engine: Engine
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    created = company.create_key(
        "read:conversations",
        "write:messages",
        "read:conversations",
        name="  CRM  ",
        rate_limit=250,
        expires_at=expires.isoformat(),
    )
    key = created["key"]
    assert key.startswith("bzk_") and len(key) > 40
    assert created["key_prefix"] == key[:10]
    assert created["name"] == "CRM"
    assert created["scopes"] == ["read:conversations", "write:messages"]  # duplicates dropped
    assert created["rate_limit"] == 250 and created["is_active"] is True
    assert created["last_used_at"] is None and created["created_by"] == str(company.data.admin_id)

    row = _row(owner_engine, created["id"])
    assert row.key_hash == token_digest(key) and row.key_prefix == key[:10]
    assert row.permissions == ["read:conversations", "write:messages"]
    assert row.expires_at == expires and row.company_id == company.data.company_id
    with Session(owner_engine) as db:  # the audit trail records the key, never its digest
        details = db.scalars(select(AuditLog.details).where(AuditLog.resource_id == row.id)).all()
    assert details and row.key_hash not in json.dumps(details)

    listed = company.api.get("/v1/api-keys", token=company.admin)
    assert listed.status == 200, listed.body
    mine = next(item for item in listed.body if item["id"] == created["id"])
    assert "key" not in mine and "key_hash" not in mine
    assert key not in json.dumps(listed.body) and row.key_hash not in json.dumps(listed.body)
    assert mine["key_prefix"] == key[:10] and mine["scopes"] == created["scopes"]
    assert mine["is_active"] is True and mine["last_used_at"] is None
    assert mine["expires_at"] is not None
    # The company's other key (from the fixture) is listed too; only this company's keys are.
    assert len(listed.body) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["read:everything"]},
        {"name": "x", "scopes": ["admin"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["read:analytics"], "rate_limit": 0},
        {"name": "x", "scopes": ["read:analytics"], "rate_limit": 10_001},
        {"name": "x", "scopes": ["read:analytics"], "expires_at": "2020-01-01T00:00:00Z"},
        {"name": " ", "scopes": ["read:analytics"]},
        {"name": "x", "scopes": ["read:analytics"], "key_hash": "chosen"},
    ],
)
def test_unknown_scopes_and_bad_settings_are_refused(company: KeyedCompany, body: dict[str, object]) -> None:
    response = company.api.request("POST", "/v1/api-keys", token=company.admin, json_body=body)
    assert response.status == 422, response.body


def test_only_company_admins_manage_keys(company: KeyedCompany, other_company: KeyedCompany) -> None:
    created = company.create_key("read:analytics")
    support = company.data.tokens["support"]
    for method, path in (
        ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys"),
        ("DELETE", f"/v1/api-keys/{created['id']}"),
    ):
        body = {"name": "x", "scopes": ["read:analytics"]} if method == "POST" else None
        assert company.api.request(method, path, token=support, json_body=body).status == 403
        # A key never manages keys, whatever its scopes.
        assert company.call(method, path, created["key"], body).status == 403
    # Another company's admin does not find the key.
    response = other_company.api.request("DELETE", f"/v1/api-keys/{created['id']}", token=other_company.admin)
    assert response.status == 404 and error_code(response) == "api_key_not_found"
    theirs = other_company.api.get("/v1/api-keys", token=other_company.admin).body
    assert all(item["id"] != created["id"] for item in theirs)


def test_keys_are_refused_on_console_routes_their_scopes_do_not_cover(company: KeyedCompany) -> None:
    key = company.key("read:conversations", "write:messages", "read:analytics")
    created = company.call("POST", "/v1/agents", key, {"name": "Sneaky"})
    assert created.status == 403, created.body
    assert company.call("GET", "/v1/team/members", key).status == 403
    refused = company.call("GET", "/v1/knowledge/categories", key)
    assert refused.status == 403 and error_code(refused) == "api_key_not_allowed"


def test_a_revoked_key_is_refused(company: KeyedCompany, owner_engine: Engine) -> None:
    created = company.create_key("read:company")
    assert company.call("GET", "/v1/companies/me", created["key"]).status == 200
    revoked = company.api.request("DELETE", f"/v1/api-keys/{created['id']}", token=company.admin)
    assert revoked.status == 200, revoked.body
    assert revoked.body["is_active"] is False and "key" not in revoked.body
    assert _row(owner_engine, created["id"]).is_active is False
    refused = company.call("GET", "/v1/companies/me", created["key"])
    assert refused.status == 401 and error_code(refused) == "unauthenticated"
    assert company.call("GET", "/v1/public/conversations", created["key"]).status == 401
    again = company.api.request("DELETE", f"/v1/api-keys/{created['id']}", token=company.admin)
    assert again.status == 200 and again.body["is_active"] is False


def test_an_expired_key_is_refused(company: KeyedCompany, owner_engine: Engine) -> None:
    created = company.create_key(
        "read:company", expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
    )
    assert company.call("GET", "/v1/companies/me", created["key"]).status == 200
    with Session(owner_engine) as db, db.begin():
        db.execute(
            update(ApiKey)
            .where(ApiKey.id == created["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    refused = company.call("GET", "/v1/companies/me", created["key"])
    assert refused.status == 401 and error_code(refused) == "unauthenticated"


def test_missing_scope_is_refused_with_permission_denied(company: KeyedCompany) -> None:
    key = company.key("read:analytics")
    refused = company.call("GET", "/v1/public/conversations", key)
    assert refused.status == 403 and error_code(refused) == "permission_denied"
    conversation = company.data.conversations["mine"]
    send = company.call("POST", f"/v1/public/conversations/{conversation}/messages", key, {"content": "hi"})
    assert send.status == 403 and error_code(send) == "permission_denied"
    assert company.call("GET", "/v1/public/analytics/summary", key).status == 200


def test_each_key_has_its_own_rate_limit(company: KeyedCompany, owner_engine: Engine) -> None:
    limited = company.key("read:company", rate_limit=2)
    other = company.key("read:company")
    assert company.call("GET", "/v1/companies/me", limited).status == 200
    assert company.call("GET", "/v1/companies/me", limited).status == 200
    refused = company.call("GET", "/v1/companies/me", limited)
    if refused.status == 200:  # the two calls straddled a minute boundary: the third is the new window's 2nd
        assert company.call("GET", "/v1/companies/me", limited).status == 200
        refused = company.call("GET", "/v1/companies/me", limited)
    assert refused.status == 429, refused.body
    assert error_code(refused) == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "2 requests a minute" in refused.body["error"]["message"]
    # Refusals stay refused until the window ends, and other keys are not affected.
    assert company.call("GET", "/v1/companies/me", limited).status == 429
    assert company.call("GET", "/v1/companies/me", other).status == 200


def test_use_is_recorded_and_api_calls_are_metered(company: KeyedCompany, owner_engine: Engine) -> None:
    created = company.create_key("read:company", "read:analytics", rate_limit=3)
    before = _api_calls(owner_engine, company)
    assert company.call("GET", "/v1/companies/me", created["key"]).status == 200
    first_use = _row(owner_engine, created["id"]).last_used_at
    assert first_use is not None and datetime.now(UTC) - first_use < timedelta(minutes=1)
    # Refused for scope, but authenticated: it counts as a call.
    assert company.call("GET", "/v1/public/conversations", created["key"]).status == 403
    # "Last used" is written at most once a minute.
    assert _row(owner_engine, created["id"]).last_used_at == first_use
    listed = company.api.get("/v1/api-keys", token=company.admin).body
    assert next(k for k in listed if k["id"] == created["id"])["last_used_at"] is not None
    calls = [company.call("GET", "/v1/public/analytics/summary", created["key"]).status for _ in range(3)]
    # Three calls were allowed this minute (or a new minute began in between); refused ones are not metered.
    allowed = 2 + calls.count(200)
    assert calls.count(429) + calls.count(200) == 3
    assert _api_calls(owner_engine, company) - before == allowed
    # Console sessions are not API calls.
    assert company.api.get("/v1/companies/me", token=company.admin).status == 200
    assert _api_calls(owner_engine, company) - before == allowed
