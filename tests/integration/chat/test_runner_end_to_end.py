"""The issue's end-to-end story over real HTTP through the local runner (`./run dev`'s server)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription
from tests.integration.chat.conftest import SHOP, Browser, ChatShop


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
