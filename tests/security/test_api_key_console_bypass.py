"""Attack: an API key, issued for a narrow job, calls the console API.

A company gives its order system an API key that may only post messages (`write:messages`). The
console routes authenticated any bearer token and left the rest to each service; a service that
checks no permission (or one whose name happens to match a scope) let the key through as the
company itself. Before the fix that key read the company's profile by `/v1/companies/me` and by id
without `read:company`, and reached the agents list; a key holding `read:analytics` for the public
summary also read the console's analytics, time series and CSV export. Routes whose services did
check a permission refused the key only by luck of naming.

Buzzi withstands it: an API key reaches only the routes that declare the scope it needs (the public
API and the read-only company routes) and only while it holds that scope; every other route
refuses it at the door with 403 `api_key_not_allowed`. `tests/integration/test_authorization_matrix.py`
checks every route against every scope.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.agents import Agent
from chatapp.db.models.channels import ApiKey
from chatapp.security import TokenKind, display_prefix, new_token, token_digest
from tests.integration.http import ApiClient
from tests.integration.stack import KnowledgeTenant, new_tenant


def _key(engine: Engine, tenant: KnowledgeTenant, *scopes: str) -> str:
    token = new_token(TokenKind.API_KEY)
    with Session(engine) as db, db.begin():
        db.add(
            ApiKey(
                company_id=tenant.data.company_id,
                name=" ".join(scopes),
                key_prefix=display_prefix(token),
                key_hash=token_digest(token),
                permissions=list(scopes),
                created_by=tenant.data.admin_id,
            )
        )
    return token


@pytest.fixture
def company(owner_engine: Engine) -> KnowledgeTenant:
    return new_tenant(owner_engine, "Keys")


def _call(api: ApiClient, token: str, method: str, path: str, body: Any = None) -> Any:
    return api.request(method, path, token=token, json_body=body)


def test_a_message_posting_key_cannot_use_the_console_api(
    company: KnowledgeTenant, owner_engine: Engine, api: ApiClient
) -> None:
    key = _key(owner_engine, company, "write:messages")
    agent = f"/v1/agents/{company.data.agent_id}"
    attempts = [
        ("GET", "/v1/companies/me", None),
        ("GET", f"/v1/companies/{company.data.company_id}", None),
        ("GET", "/v1/agents", None),
        ("GET", agent, None),
        ("GET", f"{agent}/widget", None),
        ("PATCH", agent, {"name": "Owned by a key"}),
        ("PUT", f"{agent}/widget", {"title": "Owned by a key"}),
        ("DELETE", agent, None),
        ("GET", "/v1/billing/usage", None),
        ("GET", "/v1/team/members", None),
    ]
    for method, path, body in attempts:
        response = _call(api, key, method, path, body)
        assert response.status == 403, (method, path, response.status, response.body)
        # Refused at the door: the company routes want read:company, the rest take no key at all.
        expected = "permission_denied" if path.startswith("/v1/companies/") else "api_key_not_allowed"
        assert response.body["error"]["code"] == expected, (method, path, response.body)
    with Session(owner_engine) as db:
        row = db.scalar(select(Agent).where(Agent.id == company.data.agent_id))
        assert row is not None and row.deleted_at is None and row.name != "Owned by a key"


def test_an_analytics_key_reads_the_public_summary_not_the_console_analytics(
    company: KnowledgeTenant, owner_engine: Engine, api: ApiClient
) -> None:
    key = _key(owner_engine, company, "read:analytics")
    assert _call(api, key, "GET", "/v1/public/analytics/summary").status == 200
    for path in ("/v1/analytics/summary", "/v1/analytics/timeseries", "/v1/analytics/export.csv"):
        response = _call(api, key, "GET", path)
        assert response.status == 403, (path, response.status, response.body)


def test_the_company_is_readable_with_read_company_and_nothing_more(
    company: KnowledgeTenant, owner_engine: Engine, api: ApiClient
) -> None:
    key = _key(owner_engine, company, "read:company")
    own = _call(api, key, "GET", "/v1/companies/me")
    assert own.status == 200 and own.body["id"] == str(company.data.company_id)
    assert _call(api, key, "GET", f"/v1/companies/{company.data.company_id}").status == 200
    refused = _call(api, key, "PATCH", "/v1/companies/me", {"name": "Renamed by a key"})
    assert refused.status == 403 and refused.body["error"]["code"] == "api_key_not_allowed"
    assert _call(api, key, "GET", "/v1/public/conversations").status == 403  # needs read:conversations
