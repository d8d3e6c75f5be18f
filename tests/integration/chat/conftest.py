"""Chat tests run the widget API through the template's routes on the real stack, with the real
anthropic SDK talking HTTP to a local fake Messages API when a test needs a language model."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from devtools.fake_anthropic import FakeAnthropic
from devtools.runner import RouteTable, make_server
from devtools.template import functions
from tests.integration.http import ApiResponse
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant

SHOP = "https://shop.example.com"


@pytest.fixture(scope="session")
def builtin_packages(local_aws: LocalAws) -> None:
    from chatapp.agents.package_catalogue import publish_builtin_packages

    publish_builtin_packages()


def _reset_answerer() -> None:
    from chatapp.agent_runtime.llm import reset_client
    from chatapp.config import get_settings

    get_settings.cache_clear()
    reset_client()


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """Agents answer with 'Claude': the real SDK, retries and timeouts, against a scripted server."""
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANSWERER", "anthropic")
        monkeypatch.setenv("ANTHROPIC_API_KEY", fake.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "1")
        monkeypatch.setenv("LLM_MAX_RETRIES", "2")
        _reset_answerer()
        yield fake
    monkeypatch.undo()
    _reset_answerer()


@dataclass
class Visitor:
    """A browser on the company's site, holding one conversation's session token."""

    shop: ChatShop
    token: str
    conversation_id: str
    origin: str = SHOP

    def send(self, content: str, **extra: Any) -> ApiResponse:
        return self.shop.widget(
            "POST",
            "/conversation/messages",
            token=self.token,
            origin=self.origin,
            json_body={"content": content, **extra},
        )

    def poll(self, after: str | None = None) -> ApiResponse:
        query = f"?after={after}" if after else ""
        return self.shop.widget("GET", f"/conversation/messages{query}", token=self.token, origin=self.origin)


@dataclass
class ChatShop:
    """A company with knowledge and a widget on https://shop.example.com."""

    tenant: KnowledgeTenant
    local_aws: LocalAws

    @property
    def agent_id(self) -> str:
        return str(self.tenant.data.agent_id)

    def widget(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        origin: str | None = SHOP,
        json_body: Any = None,
        agent_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        all_headers = {**({"origin": origin} if origin else {}), **(headers or {})}
        return self.tenant.api.request(
            method,
            f"/v1/widget/agents/{agent_id or self.agent_id}{path}",
            token=token,
            json_body=json_body,
            headers=all_headers,
        )

    def configure(self, **fields: Any) -> dict[str, Any]:
        response = self.tenant.call("PATCH", f"/v1/agents/{self.agent_id}", json_body=fields)
        assert response.status == 200, response.body
        return response.body

    def visit(self, **body: Any) -> Visitor:
        response = self.widget("POST", "/conversations", json_body=body)
        assert response.status == 201, response.body
        return Visitor(self, response.body["session_token"], response.body["conversation_id"])

    def teach(self, filename: str, text: str) -> str:
        category = self.tenant.category(f"Help {filename}")
        self.tenant.assign(category)
        file_id = self.tenant.upload(category, filename, text.encode(), "text/markdown")
        self.local_aws.drain()
        assert self.tenant.file(file_id)["status"] == "indexed"
        return file_id


@pytest.fixture(scope="module")
def runner() -> Iterator[int]:
    server = make_server(RouteTable(functions()), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


class Browser:
    """A page on a company's site calling the widget API over real HTTP through the local runner."""

    def __init__(self, port: int, agent_id: str, origin: str = SHOP) -> None:
        self.port, self.agent_id, self.origin, self.token = port, agent_id, origin, ""
        self.conversation_id = ""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Origin": self.origin, "Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, f"/v1/widget/agents/{self.agent_id}{path}", body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return (
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            json.loads(raw) if raw else None,
        )

    def start(self) -> int:
        status, _, body = self.call("POST", "/conversations", {"customer": {"name": "Grace"}})
        if status == 201:
            self.token, self.conversation_id = body["session_token"], body["conversation_id"]
        return status

    def ask(self, text: str) -> tuple[int, Any]:
        status, _, body = self.call("POST", "/conversation/messages", {"content": text})
        return status, body


def console(port: int, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """A console call over real HTTP through the local runner."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None


def open_shop(owner_engine: Engine, local_aws: LocalAws, label: str) -> ChatShop:
    shop = ChatShop(new_tenant(owner_engine, label), local_aws)
    saved = shop.tenant.call(
        "PUT",
        f"/v1/agents/{shop.agent_id}/widget",
        json_body={"allowed_domains": ["shop.example.com"], "welcome_message": "Hi! How can I help?"},
    )
    assert saved.status == 200, saved.body
    return shop


@pytest.fixture
def shop(owner_engine: Engine, local_aws: LocalAws, builtin_packages: None) -> ChatShop:
    return open_shop(owner_engine, local_aws, "Shop")


@pytest.fixture
def other_shop(owner_engine: Engine, local_aws: LocalAws, builtin_packages: None) -> ChatShop:
    return open_shop(owner_engine, local_aws, "Rival")


from tests.integration.chat.sockets import realtime  # noqa: E402,F401 - the runner with sockets, a fixture
