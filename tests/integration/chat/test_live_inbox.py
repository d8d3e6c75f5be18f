"""The live inbox (docs/realtime.md): console sockets hear new messages, escalations, presence and
typing as they happen, each frame sent only to people who may see it at the moment it leaves, and
only once the change it reports has committed."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session
from websockets.exceptions import InvalidStatus

from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.core import User
from tests.integration.chat.conftest import ChatShop
from tests.integration.chat.sockets import Frames, Realtime
from tests.integration.tenant_data import _session_token

REFUND_RULES = {"keywords": ["refund"]}


def _signed_in(owner_session: Session, user_id: uuid.UUID) -> str:
    token = _session_token(owner_session, user_id)
    owner_session.commit()
    return token


def _escalate(shop: ChatShop, text_: str = "I want a refund for order 12345") -> tuple[Any, str]:
    """A visitor whose message hands the conversation over; returns it and the conversation id."""
    visitor = shop.visit()
    sent = visitor.send(text_)
    assert sent.status == 200 and sent.body["escalated"] is True, sent.body
    return visitor, visitor.conversation_id


def _types(frames: Frames) -> list[str]:
    return [frame["type"] for _, frame in frames.received]


def _about(frames: Frames, conversation_id: str) -> list[dict[str, Any]]:
    return [f for _, f in frames.received if f.get("conversation_id") == conversation_id]


def _settle(seconds: float = 0.5) -> None:
    """Long enough for a frame that was going to arrive to have arrived."""
    time.sleep(seconds)


def test_the_console_hears_a_new_escalation_and_its_messages_without_polling(
    shop: ChatShop, realtime: Realtime
) -> None:
    shop.configure(escalation_rules=REFUND_RULES)
    console = realtime.console(shop, shop.tenant.token)
    realtime.wait_open(1)

    _, conversation_id = _escalate(shop)

    created = console.until("escalation.created")
    assert created["conversation_id"] == conversation_id
    assert created["escalation"]["status"] == "pending" and created["escalation"]["reason"]
    queue = shop.tenant.call("GET", "/v1/inbox/escalations").body
    assert created["queue"] == {"waiting": sum(1 for e in queue if e["status"] == "pending"), "mine": 0}
    messages = [f for f in _about(console, conversation_id) if f["type"] == "message.created"]
    deadline = time.monotonic() + 5
    while len(messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
        messages = [f for f in _about(console, conversation_id) if f["type"] == "message.created"]
    assert [m["message"]["role"] for m in messages] == ["user", "assistant"]  # the question, the handover
    assert messages[0]["message"]["content"] == "I want a refund for order 12345"


def test_a_support_agent_hears_only_what_they_may_see_at_the_moment_it_leaves(
    shop: ChatShop, realtime: Realtime, owner_session: Session
) -> None:
    shop.configure(escalation_rules=REFUND_RULES)
    data = shop.tenant.data
    admin = realtime.console(shop, shop.tenant.token)
    first = realtime.console(shop, data.tokens["support"])
    second = realtime.console(shop, _signed_in(owner_session, data.other_support_agent_id))
    realtime.wait_open(3)

    visitor, conversation_id = _escalate(shop)
    for console in (admin, first, second):  # unassigned: everyone may take it
        assert console.until("escalation.created")["conversation_id"] == conversation_id
    waiting = first.until("escalation.created")["queue"]["waiting"]

    claimed = shop.tenant.call(
        "POST",
        f"/v1/inbox/escalations/{admin.until('escalation.created')['escalation']['id']}/claim",
        token=data.tokens["support"],
    )
    assert claimed.status == 200, claimed.body
    assert first.until("escalation.assigned")["queue"]["waiting"] == waiting - 1
    assert first.until("escalation.assigned")["queue"]["mine"] >= 1
    assert admin.until("escalation.assigned")["escalation"]["assigned_to"] == str(data.support_agent_id)
    _settle()
    assert "escalation.assigned" not in _types(second)  # it is the first agent's now

    before = len(_about(second, conversation_id))
    assert visitor.send("Are you there?").status == 200
    assert first.until("message.created") and admin.until("message.created")
    _settle()
    assert len(_about(second, conversation_id)) == before  # assigned elsewhere: not a word of it

    moved = shop.tenant.call(
        "POST",
        f"/v1/inbox/escalations/{claimed.body['id']}/transfer",
        json_body={"user_id": str(data.other_support_agent_id)},
    )
    assert moved.status == 200, moved.body
    assert first.until("conversation.gone")["conversation_id"] == conversation_id
    taken = [f for f in _about(second, conversation_id) if f["type"] == "escalation.assigned"]
    deadline = time.monotonic() + 5
    while not taken and time.monotonic() < deadline:
        time.sleep(0.02)
        taken = [f for f in _about(second, conversation_id) if f["type"] == "escalation.assigned"]
    assert taken and taken[0]["queue"]["waiting"] == waiting - 1
    after_gone = len(_about(first, conversation_id))
    assert visitor.send("Hello?").status == 200
    _settle()
    assert len(_about(first, conversation_id)) == after_gone  # the first agent hears nothing more


def test_another_company_hears_nothing_of_ours(
    shop: ChatShop, other_shop: ChatShop, realtime: Realtime
) -> None:
    """A mixed run: both companies' consoles open, both companies busy; each frame is counted."""
    for each in (shop, other_shop):
        each.configure(escalation_rules=REFUND_RULES)
    ours = realtime.console(shop, shop.tenant.token)
    theirs = realtime.console(other_shop, other_shop.tenant.token)
    realtime.wait_open(2)
    our_conversations, their_conversations = set(), set()
    for index in range(3):
        our_conversations.add(_escalate(shop, f"refund please, order {index}")[1])
        their_conversations.add(_escalate(other_shop, f"refund please, order 9{index}")[1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        _types(ours).count("escalation.created") < 3 or _types(theirs).count("escalation.created") < 3
    ):
        time.sleep(0.05)
    _settle()
    heard_by_us = {f.get("conversation_id") for _, f in ours.received} - {None}
    heard_by_them = {f.get("conversation_id") for _, f in theirs.received} - {None}
    assert heard_by_us == our_conversations and heard_by_them == their_conversations
    assert len(ours.received) >= 9 and len(theirs.received) >= 9  # 3 escalations, 6 messages each


def test_a_rolled_back_change_never_shows_and_a_left_over_one_is_relayed(
    shop: ChatShop, realtime: Realtime, owner_engine: Engine
) -> None:
    from chatapp.db.tenancy import TenantContext, tenant_session
    from chatapp.realtime import live

    company_id = shop.tenant.data.company_id
    console = realtime.console(shop, shop.tenant.token)
    realtime.wait_open(1)
    with pytest.raises(RuntimeError), tenant_session(TenantContext.company_service(company_id)) as db:
        live.publish(db, company_id, "presence", {"presence": {"status": "rolled back"}})
        raise RuntimeError("the change fails after the event was written")
    _settle()
    assert console.received == []

    with owner_engine.begin() as db:  # a delivery that never happened: the process died after commit
        db.execute(
            text(
                "INSERT INTO chatapp_realtime_outbox (company_id, event_type, payload, created_at)"
                " VALUES (:c, 'presence', :payload, now() - interval '1 minute')"
            ),
            {"c": company_id, "payload": '{"presence": {"status": "relayed"}}'},
        )
    assert live.relay() >= 1  # (other companies' leftovers go too)
    assert console.until("presence")["presence"] == {"status": "relayed"}
    with owner_engine.connect() as db:
        left = db.execute(
            text(
                "SELECT count(*) FROM chatapp_realtime_outbox"
                " WHERE payload->'presence'->>'status' = 'relayed'"
            )
        ).scalar_one()
    assert left == 0
    _settle()
    assert [f["presence"] for f in console.of("presence")] == [{"status": "relayed"}]  # sent once


def test_presence_and_typing_travel_both_ways(
    shop: ChatShop, realtime: Realtime, owner_session: Session
) -> None:
    data = shop.tenant.data
    admin = realtime.console(shop, shop.tenant.token)
    agent = realtime.console(shop, data.tokens["support"])
    visitor = shop.visit()
    widget = realtime.socket(shop, visitor)
    realtime.wait_open(3)

    online = shop.tenant.call(
        "PUT", "/v1/inbox/presence", token=data.tokens["support"], json_body={"status": "online"}
    )
    assert online.status == 200, online.body
    assert admin.until("presence")["presence"]["user_id"] == str(data.support_agent_id)

    widget.send({"action": "typing"})
    typing = admin.until("typing")
    assert typing == {"type": "typing", "who": "customer", "conversation_id": visitor.conversation_id}
    assert agent.until("typing")["conversation_id"] == visitor.conversation_id  # unassigned: visible

    admin.send({"action": "typing", "conversation_id": visitor.conversation_id})
    assert widget.until("typing") == {"type": "typing", "who": "agent", "name": "admin"}

    owner_session.execute(  # the conversation is someone else's now: this agent may not see it
        text("UPDATE chatapp_conversations SET assigned_agent_id = :a WHERE id = :c"),
        {"a": data.admin_id, "c": visitor.conversation_id},
    )
    owner_session.commit()
    seen = len(widget.of("typing"))
    agent.send({"action": "typing", "conversation_id": visitor.conversation_id})
    _settle()
    assert len(widget.of("typing")) == seen
    widget.send({"action": "typing"})
    deadline = time.monotonic() + 5
    while len(admin.of("typing")) < 2:
        assert time.monotonic() < deadline, admin.received
        time.sleep(0.02)
    _settle()
    assert len(agent.of("typing")) == 1  # the second time it was no longer theirs to see


def _refused(realtime: Realtime, ticket: str, origin: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        realtime.connect(ticket, origin, "/ws/console")
    return refused.value.response.status_code


def test_a_console_socket_opens_only_for_a_live_sign_in_from_the_console(
    shop: ChatShop, realtime: Realtime, owner_session: Session, owner_engine: Engine
) -> None:
    data = shop.tenant.data
    assert (
        _refused(realtime, realtime.console_ticket(shop, data.tokens["admin"]), "https://evil.example") == 403
    )
    ticket = realtime.console_ticket(shop, data.tokens["admin"])
    assert _refused(realtime, ticket[:-2] + "xx", realtime.console_origin) == 401  # forged
    realtime.connect(ticket, realtime.console_origin, "/ws/console")
    assert _refused(realtime, ticket, realtime.console_origin) == 401  # used

    ended = realtime.console_ticket(shop, data.tokens["support"])
    owner_session.execute(  # signed out between the ticket and the socket
        update(ConsoleSession)
        .where(ConsoleSession.user_id == data.support_agent_id)
        .values(expires=datetime.now(UTC) - timedelta(seconds=1))
    )
    owner_session.commit()
    assert _refused(realtime, ended, realtime.console_origin) == 403

    elsewhere = realtime.console_ticket(shop, data.tokens["admin"])
    owner_session.execute(
        update(User).where(User.id == data.admin_id).values(ip_allowlist=["203.0.113.0/24"])
    )
    owner_session.commit()
    assert _refused(realtime, elsewhere, realtime.console_origin) == 403  # the socket comes from 127.0.0.1
    with owner_engine.connect() as db:
        consoles = db.execute(
            text(
                "SELECT count(*) FROM chatapp_realtime_connections WHERE company_id = :c AND kind = 'console'"
            ),
            {"c": data.company_id},
        ).scalar_one()
    assert consoles == 1  # only the socket that was let in


def test_only_a_signed_in_company_user_gets_a_console_ticket(shop: ChatShop) -> None:
    from_api_key = shop.tenant.call(
        "POST", "/v1/inbox/realtime-ticket", token=shop.tenant.data.tokens["api_key"]
    )
    assert from_api_key.status in (401, 403), from_api_key.body
    expired = shop.tenant.call(
        "POST", "/v1/inbox/realtime-ticket", token=shop.tenant.data.tokens["admin_expired"]
    )
    assert expired.status == 401


def test_a_socket_that_floods_typing_frames_is_not_heard_for_the_minute(
    shop: ChatShop, realtime: Realtime
) -> None:
    from chatapp.surfaces.socket_routes import TYPING_PER_MINUTE

    admin = realtime.console(shop, shop.tenant.token)
    visitor = shop.visit()
    widget = realtime.socket(shop, visitor)
    realtime.wait_open(2)
    for _ in range(TYPING_PER_MINUTE + 10):
        widget.send({"action": "typing"})
    deadline = time.monotonic() + 10
    while len(admin.of("typing")) < TYPING_PER_MINUTE and time.monotonic() < deadline:
        time.sleep(0.05)
    _settle(1.0)
    assert len(admin.of("typing")) == TYPING_PER_MINUTE
