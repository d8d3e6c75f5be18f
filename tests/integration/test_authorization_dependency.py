"""The shared `require(...)` dependency: authenticate, then check role and permission."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from chatapp.access.principals import Principal
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import require
from chatapp.db.tenancy import ContextRole
from devtools.runner import LambdaContext, _ensure_event_loop, build_http_event
from devtools.template import Route
from tests.integration.tenant_data import Tenants

app = create_app("authorization-test")


@app.get("/admin-only")
async def admin_only(principal: Annotated[Principal, Depends(require(ContextRole.COMPANY_ADMIN))]) -> dict:
    return {"role": principal.role}


@app.get("/knowledge")
async def knowledge(
    principal: Annotated[Principal, Depends(require(permission=("knowledge", "write")))],
) -> dict:
    return {"user": str(principal.user_id)}


handler = lambda_handler(app)


class Client:
    """Calls the app through the same Lambda handler wrapper every HTTP function uses."""

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        _ensure_event_loop()
        event = build_http_event(
            Route("GET", path), "GET", path, {"host": "local", **(headers or {})}, b"", {}
        )
        return Reply(handler(event, LambdaContext(function_name="authorization-test")))


class Reply:
    def __init__(self, response: dict) -> None:
        self.status_code = response["statusCode"]
        self._body = response["body"]

    def json(self) -> dict:
        import json

        return json.loads(self._body)


@pytest.fixture(scope="module")
def client() -> Client:
    return Client()


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_role_check(client: Client, tenants: Tenants) -> None:
    assert client.get("/admin-only", headers=_auth(tenants.a.tokens["admin"])).json() == {
        "role": "company_admin"
    }
    refused = client.get("/admin-only", headers=_auth(tenants.a.tokens["support"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_not_allowed"
    assert client.get("/admin-only").status_code == 401


def test_permission_check_follows_the_users_permissions_object(
    client: Client, tenants: Tenants, owner_session: Session
) -> None:
    assert client.get("/knowledge", headers=_auth(tenants.b.tokens["admin"])).status_code == 200
    refused = client.get("/knowledge", headers=_auth(tenants.b.tokens["support"]))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"

    owner_session.execute(
        text("""UPDATE chatapp_users SET permissions = '{"knowledge": ["read", "write"]}'
                                   WHERE id = :id"""),
        {"id": tenants.b.support_agent_id},
    )
    owner_session.commit()
    granted = client.get("/knowledge", headers=_auth(tenants.b.tokens["support"]))
    assert granted.status_code == 200 and granted.json() == {"user": str(tenants.b.support_agent_id)}


def test_api_key_scopes(client: Client, tenants: Tenants) -> None:
    refused = client.get("/knowledge", headers=_auth(tenants.a.tokens["api_key"]))
    assert refused.status_code == 403
