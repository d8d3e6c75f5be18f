"""Sign-in tests: the auth function through the template's routes, SES on moto (mail is read back
from what moto received), and a loopback OpenID Connect provider standing in for Google.

Each test calls from its own client IP address, so per-IP sign-in limits never leak between tests.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.db.models.audit import AuditLog
from devtools.fake_oidc import FakeOidcProvider
from devtools.runner import RouteTable, build_http_event, invoke_http
from devtools.template import functions
from tests.integration.http import ApiResponse
from tests.integration.stack import LocalAws
from tests.integration.tenant_data import CompanyData, create_company, create_platform_rows

CONSOLE = "http://127.0.0.1:5173"  # the default CONSOLE_URL
REDIRECT_URI = f"{CONSOLE}/auth/callback/google"
_LINK = re.compile(r"(https?://[^\s\"<]+/auth/verify\?token=(bzv_[A-Za-z0-9_-]+))")
_ROUTES: RouteTable | None = None


def random_ip() -> str:
    return str(ipaddress.IPv4Address(0x0A000000 + (uuid.uuid4().int & 0xFFFFFF)))  # 10.0.0.0/8


def unique_email(label: str = "person") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class AuthApi:
    """ApiClient's event path, with a chosen source IP (API Gateway's requestContext.http.sourceIp)."""

    ip: str = field(default_factory=random_ip)
    user_agent: str = "pytest-auth/1.0"

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        ip: str | None = None,
    ) -> ApiResponse:
        global _ROUTES
        _ROUTES = _ROUTES or RouteTable(functions())
        matched = _ROUTES.match(method, path.split("?")[0])
        assert matched is not None, f"no route in template.yaml for {method} {path}"
        route, spec, params = matched
        headers = {"host": "127.0.0.1:3000", "user-agent": self.user_agent}
        if token:
            headers["authorization"] = f"Bearer {token}"
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        event = build_http_event(route, method, path, headers, body, params, source_ip=ip or self.ip)
        response, _ = invoke_http(spec, event)
        text = response.get("body") or ""
        return ApiResponse(
            response["statusCode"], response.get("headers") or {}, json.loads(text) if text else None
        )

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", path, json_body=json_body, **kwargs)


@pytest.fixture
def auth_api(migrated_database: str) -> AuthApi:
    return AuthApi()


class Mailbox:
    """What moto's SES received, read from the moto server's model data (SES is really called)."""

    def all(self) -> list[dict[str, Any]]:
        url = f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/data.json"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - moto on loopback
            data = json.loads(response.read())
        return list(data.get("ses", {}).get("Message", []))

    def messages(self, to: str) -> list[dict[str, Any]]:
        return [m for m in self.all() if to in m.get("destinations", {}).get("ToAddresses", [])]

    def link_token(self, to: str) -> str:
        """The token of the newest sign-in link sent to `to`."""
        messages = self.messages(to)
        assert messages, f"no e-mail was sent to {to}"
        found = _LINK.search(messages[-1]["body"])
        assert found, messages[-1]["body"]
        assert found.group(1).startswith(f"{CONSOLE}/auth/verify?token=")
        return found.group(2)


@pytest.fixture(scope="session")
def mailbox(mail_sender: str) -> Mailbox:
    return Mailbox()


@pytest.fixture(scope="session")
def oidc(local_aws: LocalAws) -> Iterator[FakeOidcProvider]:
    """Google sign-in pointed at the fake provider (settings re-read with its endpoints)."""
    from chatapp.config import get_settings

    provider = FakeOidcProvider().start()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in provider.environment().items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        yield provider
    get_settings.cache_clear()
    provider.stop()


@dataclass
class Authorization:
    """What the browser would carry to the provider, taken from the authorization URL."""

    state: str
    nonce: str
    code_challenge: str
    redirect_uri: str
    client_id: str

    @classmethod
    def parse(cls, url: str) -> Authorization:
        query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
        assert "openid" in query["scope"].split()
        return cls(
            state=query["state"],
            nonce=query["nonce"],
            code_challenge=query["code_challenge"],
            redirect_uri=query["redirect_uri"],
            client_id=query["client_id"],
        )


@pytest.fixture(scope="session")
def public_plan(owner_engine: Engine) -> uuid.UUID:
    """Sign-up needs a public plan to start trials on."""
    with Session(owner_engine) as db, db.begin():
        return create_platform_rows(db)


def commit(db: Session, statement: Any) -> None:
    """A change made behind the application's back, as the table owner."""
    db.execute(statement)
    db.commit()


@pytest.fixture
def company(owner_engine: Engine) -> CompanyData:
    with Session(owner_engine) as db, db.begin():
        return create_company(db, "Auth", create_platform_rows(db))


def audit_rows(db: Session, **filters: Any) -> list[AuditLog]:
    db.expire_all()
    query = select(AuditLog).order_by(AuditLog.created_at)
    for name, value in filters.items():
        query = query.where(getattr(AuditLog, name) == value)
    return list(db.scalars(query))


def audit_rows_for_email(db: Session, email: str) -> list[AuditLog]:
    db.expire_all()
    query = select(AuditLog).where(AuditLog.details["email"].astext == email).order_by(AuditLog.created_at)
    return list(db.scalars(query))
