"""What the widget API refuses, and the company's rules it applies around the AI."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatapp.companies.status import CUSTOMER_NOTICE
from chatapp.db.models.billing import CompanySubscription
from chatapp.db.models.conversations import Conversation, Escalation, Message
from chatapp.db.models.core import Company
from tests.integration.chat.conftest import ChatShop

EVIL = "https://evil.example.net"


def test_only_allowed_sites_may_start_a_conversation(shop: ChatShop, owner_session: Session) -> None:
    refused = shop.widget("POST", "/conversations", origin=EVIL, json_body={})
    assert refused.status == 403 and refused.body["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in refused.headers
    assert shop.widget("POST", "/conversations", origin=None, json_body={}).status == 403
    count = owner_session.scalar(
        select(Conversation.id).where(Conversation.agent_id == shop.tenant.data.agent_id).limit(1)
    )
    assert count is None or all(
        c.context.get("origin") != EVIL
        for c in owner_session.scalars(
            select(Conversation).where(Conversation.agent_id == shop.tenant.data.agent_id)
        )
    )

    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = shop.widget("OPTIONS", "/conversations", headers=preflight)
    assert allowed.status == 204
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    denied = shop.widget("OPTIONS", "/conversations", origin=EVIL, headers=preflight)
    assert denied.status == 403 and "access-control-allow-origin" not in denied.headers


def test_a_paused_agent_or_unknown_agent_takes_no_conversations(shop: ChatShop) -> None:
    assert shop.widget("POST", "/conversations", agent_id=str(uuid.uuid4()), json_body={}).status in (
        403,
        404,
    )
    shop.configure(status="paused")
    assert shop.widget("GET", "/config").body["accepting_messages"] is False
    refused = shop.widget("POST", "/conversations", json_body={})
    assert refused.status == 409 and refused.body["error"]["code"] == "agent_unavailable"


def test_a_session_token_opens_only_its_own_conversation(shop: ChatShop, other_shop: ChatShop) -> None:
    mine = shop.visit()
    assert mine.send("hello").status == 200
    theirs = other_shop.visit()
    # Company B's visitor token against company A's agent: not a session there.
    stolen = shop.widget("GET", "/conversation/messages", token=theirs.token)
    assert stolen.status == 401 and stolen.body["error"]["code"] == "unauthenticated"
    # A's token presented on B's agent path: same.
    assert other_shop.widget("GET", "/conversation/messages", token=mine.token).status == 401
    assert shop.widget("GET", "/conversation/messages", token="bzw_forged").status == 401
    assert shop.widget("GET", "/conversation/messages").status == 401
    # And B's own view never contains A's messages.
    assert all(m["content"] != "hello" for m in theirs.poll().body["messages"])


def test_a_keyword_escalates_and_the_ai_falls_silent(shop: ChatShop, owner_session: Session) -> None:
    shop.configure(escalation_rules={"keywords": ["refund"]})
    visitor = shop.visit()
    escalated = visitor.send("I want a REFUND for my order 12345")
    assert escalated.status == 200, escalated.body
    assert escalated.body["escalated"] is True and escalated.body["status"] == "waiting_human"
    assert [m["role"] for m in escalated.body["messages"]] == ["user", "assistant"]
    assert "team" in escalated.body["messages"][1]["content"]

    escalation = owner_session.scalar(
        select(Escalation).where(Escalation.conversation_id == uuid.UUID(visitor.conversation_id))
    )
    assert escalation is not None
    assert escalation.trigger_type == "keyword_trigger" and escalation.trigger_details["keyword"] == "refund"
    assert escalation.status.value == "pending"

    silent = visitor.send("Hello? Anyone there?")
    assert silent.status == 200
    assert [m["role"] for m in silent.body["messages"]] == ["user"]  # no AI answer any more
    assert silent.body["status"] == "waiting_human"
    conversation = owner_session.get(Conversation, uuid.UUID(visitor.conversation_id))
    assert conversation is not None and conversation.context["facts"]["reference"] == "12345"


def test_outside_business_hours_the_customer_hears_when_people_are_back(shop: ChatShop) -> None:
    today = datetime.now(UTC).strftime("%A").lower()
    other_day = "sunday" if today != "sunday" else "monday"
    shop.configure(
        escalation_rules={"keywords": ["lawyer"]},
        business_hours={
            "timezone": "UTC",
            "schedule": {other_day: {"start": "09:00", "end": "17:00"}},
            "outsideHoursMessage": "We're closed; a person will reply on our next working day.",
        },
    )
    reply = shop.visit().send("I will call my lawyer")
    assert reply.body["escalated"] is True
    assert (
        reply.body["messages"][-1]["content"] == "We're closed; a person will reply on our next working day."
    )


def test_the_talk_to_a_human_button_and_ending_with_a_rating(shop: ChatShop, owner_session: Session) -> None:
    visitor = shop.visit()
    handed = shop.widget("POST", "/conversation/handover", token=visitor.token, json_body={"note": "billing"})
    assert handed.status == 200 and handed.body["status"] == "waiting_human"
    escalation = owner_session.scalar(
        select(Escalation).where(Escalation.conversation_id == uuid.UUID(visitor.conversation_id))
    )
    assert escalation is not None and escalation.trigger_details["source"] == "widget"
    ended = shop.widget(
        "POST", "/conversation/end", token=visitor.token, json_body={"rating": 5, "feedback": "Great"}
    )
    assert ended.status == 200 and ended.body["status"] == "resolved"
    # Writing again reopens it with the AI, not silently with the last person.
    after = visitor.send("one more thing")
    assert after.status == 200 and after.body["status"] == "active"
    assert [m["role"] for m in after.body["messages"]] == ["user", "assistant"]
    owner_session.expire_all()
    conversation = owner_session.get(Conversation, uuid.UUID(visitor.conversation_id))
    assert conversation is not None and conversation.context["rating"]["score"] == 5


def test_a_company_over_its_message_limit_is_refused_politely(shop: ChatShop, owner_session: Session) -> None:
    owner_session.execute(
        update(CompanySubscription)
        .where(CompanySubscription.company_id == shop.tenant.data.company_id)
        .values(custom_limits={"messagesPerMonth": 2})
    )
    owner_session.commit()
    visitor = shop.visit()
    assert visitor.send("How do returns work?").status == 200  # the question and its answer: 2 messages
    refused = visitor.send("And helmets?")
    assert refused.status == 402
    assert refused.body["error"]["code"] == "message_limit_reached"
    assert "contact the company another way" in refused.body["error"]["message"]
    stored = owner_session.scalars(
        select(Message.content).where(Message.conversation_id == uuid.UUID(visitor.conversation_id))
    ).all()
    assert "And helmets?" not in stored  # nothing half-written
    usage = shop.tenant.call("GET", "/v1/knowledge/usage")  # the company admin sees why
    assert usage.status == 200, usage.body
    assert usage.body["messages_this_month"] == 2 and usage.body["limits"]["messagesPerMonth"] == 2


def test_a_suspended_company_s_widget_says_it_is_unavailable(shop: ChatShop, owner_session: Session) -> None:
    visitor = shop.visit()
    owner_session.execute(
        update(Company)
        .where(Company.id == shop.tenant.data.company_id)
        .values(status="suspended", status_reason="Terms of service review")
    )
    owner_session.commit()
    config = shop.widget("GET", "/config")
    assert config.status == 200 and config.body["accepting_messages"] is False
    for refused in (shop.widget("POST", "/conversations", json_body={}), visitor.send("Hello?")):
        assert refused.status == 403 and refused.body["error"]["code"] == "company_suspended"
        assert refused.body["error"]["message"] == CUSTOMER_NOTICE
    stored = owner_session.scalars(
        select(Message.content).where(Message.conversation_id == uuid.UUID(visitor.conversation_id))
    ).all()
    assert "Hello?" not in stored

    owner_session.execute(
        update(Company).where(Company.id == shop.tenant.data.company_id).values(status="active")
    )
    owner_session.commit()
    assert visitor.send("Hello again?").status == 200, "reactivated: the same conversation goes on"


def test_visitors_are_rate_limited_per_conversation(shop: ChatShop, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatapp.config import get_settings

    monkeypatch.setenv("WIDGET_RATE_PER_SESSION", "2")
    get_settings.cache_clear()
    try:
        visitor = shop.visit()
        assert visitor.send("one").status == 200
        assert visitor.send("two").status == 200
        limited = visitor.send("three")
        assert limited.status == 429 and limited.body["error"]["code"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_one_address_is_rate_limited_across_conversations(
    shop: ChatShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatapp.config import get_settings

    visitor = shop.visit()
    monkeypatch.setenv("WIDGET_RATE_PER_IP", "3")
    get_settings.cache_clear()
    try:
        replies = [visitor.send(f"message {n}") for n in range(5)]
        limited = [reply for reply in replies if reply.status == 429]
        assert limited, [reply.status for reply in replies]
        assert limited[0].body["error"] == {
            "code": "rate_limited",
            "message": "Too many requests. Please wait a moment and try again.",  # not the session's
        }
        assert int(limited[0].headers["retry-after"]) >= 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_attachments_upload_to_the_conversation_and_only_there(shop: ChatShop, other_shop: ChatShop) -> None:
    visitor = shop.visit()
    refused = shop.widget(
        "POST",
        "/conversation/attachments",
        token=visitor.token,
        json_body={"filename": "run.exe", "mime_type": "application/x-msdownload", "size": 10},
    )
    assert refused.status == 400 and refused.body["error"]["code"] == "file_type_not_allowed"
    content = b"\x89PNG fake image bytes"
    ticket = shop.widget(
        "POST",
        "/conversation/attachments",
        token=visitor.token,
        json_body={"filename": "broken bike.png", "mime_type": "image/png", "size": len(content)},
    )
    assert ticket.status == 201, ticket.body
    not_yet = visitor.send("see photo", attachment_keys=[ticket.body["key"]])
    assert not_yet.status == 409 and not_yet.body["error"]["code"] == "attachment_not_uploaded"
    request = urllib.request.Request(  # noqa: S310 - moto on loopback
        ticket.body["upload_url"], data=content, method="PUT", headers=ticket.body["upload_headers"]
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
    sent = visitor.send("see photo", attachment_keys=[ticket.body["key"]])
    assert sent.status == 200, sent.body
    attachment = sent.body["messages"][0]["attachments"][0]
    assert attachment["type"] == "image" and attachment["size"] == len(content)
    assert attachment["name"].endswith("broken_bike.png") and "key" not in attachment

    stranger = other_shop.visit()
    assert stranger.send("mine now", attachment_keys=[ticket.body["key"]]).status == 404

    shop.tenant.call("PUT", f"/v1/agents/{shop.agent_id}/widget", json_body={"enable_file_upload": False})
    off = shop.widget(
        "POST",
        "/conversation/attachments",
        token=visitor.token,
        json_body={"filename": "a.png", "mime_type": "image/png", "size": 3},
    )
    assert off.status == 403 and off.body["error"]["code"] == "file_upload_disabled"
