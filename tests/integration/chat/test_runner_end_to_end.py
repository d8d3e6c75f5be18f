"""The issue's end-to-end story over real HTTP through the local runner (`./run dev`'s server)."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription
from devtools.runner import RouteTable, make_server
from devtools.template import functions
from tests.integration.chat.conftest import SHOP, ChatShop


@pytest.fixture(scope="module")
def runner() -> Iterator[int]:
    server = make_server(RouteTable(functions()), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()


class Browser:
    def __init__(self, port: int, agent_id: str, origin: str = SHOP) -> None:
        self.port, self.agent_id, self.origin, self.token = port, agent_id, origin, ""

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
            self.token = body["session_token"]
        return status

    def ask(self, text: str) -> tuple[int, Any]:
        status, _, body = self.call("POST", "/conversation/messages", {"content": text})
        return status, body


def test_ask_cite_escalate_limit_and_isolation_over_http(
    runner: int, shop: ChatShop, other_shop: ChatShop, owner_session: Session
) -> None:
    shop.teach(
        "shipping.md",
        "# Shipping\n\nOrders to Norway ship with Posten and arrive within 4 business days. "
        "Shipping to Norway costs 19 EUR, free above 200 EUR.\n",
    )
    shop.configure(escalation_rules={"keywords": ["chargeback"]})

    assert Browser(runner, shop.agent_id, origin="https://evil.example.net").start() == 403

    browser = Browser(runner, shop.agent_id)
    assert browser.start() == 201
    status, body = browser.ask("How long does shipping to Norway take?")
    assert status == 200, body
    answer = body["messages"][-1]
    assert "4 business days" in answer["content"]
    assert answer["citations"][0]["filename"] == "shipping.md"

    status, body = browser.ask("Otherwise I will file a chargeback")
    assert status == 200 and body["escalated"] is True and body["status"] == "waiting_human"
    status, body = browser.ask("hello?")
    assert [m["role"] for m in body["messages"]] == ["user"]

    rival = Browser(runner, other_shop.agent_id)
    assert rival.start() == 201
    rival.agent_id = shop.agent_id  # B's visitor token against A's agent and conversation
    status, _, body = rival.call("GET", "/conversation/messages")
    assert status == 401

    owner_session.execute(
        update(CompanySubscription)
        .where(CompanySubscription.company_id == shop.tenant.data.company_id)
        .values(custom_limits={"messagesPerMonth": 1})
    )
    owner_session.commit()
    late = Browser(runner, shop.agent_id)
    assert late.start() == 201
    status, body = late.ask("Do you ship to Sweden?")
    assert status == 402 and body["error"]["code"] == "message_limit_reached"
    status, headers, _ = late.call("GET", "/conversation/messages")
    assert status == 200 and headers["access-control-allow-origin"] == SHOP
