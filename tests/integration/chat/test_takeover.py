"""People take over: the escalation queue, automatic assignment, claims, replies in the widget,
resolving and returning to the AI."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.principals import Principal, PrincipalKind
from chatapp.companies import presence as agent_presence
from chatapp.db.models.conversations import Escalation
from chatapp.db.models.team import SupportAgentStatus
from chatapp.db.tenancy import ContextRole, TenantContext, tenant_session
from chatapp.inbox import queue as inbox
from tests.integration.chat.conftest import Browser, ChatShop, console
from tests.integration.tenant_data import _session_token


def _console(shop: ChatShop, who: str, method: str, path: str, **kwargs: Any) -> Any:
    return shop.tenant.api.request(method, path, token=shop.tenant.data.tokens[who], **kwargs)


def _online(shop: ChatShop, who: str = "support", max_chats: int = 2) -> None:
    response = _console(
        shop,
        who,
        "PUT",
        "/v1/inbox/presence",
        json_body={"status": "online", "max_concurrent_chats": max_chats},
    )
    assert response.status == 200, response.body


def test_the_takeover_story_over_http(runner: int, shop: ChatShop, owner_session: Session) -> None:
    """Customer escalates, an agent with room gets it at once, replies in the widget, the AI keeps
    quiet, the agent resolves, and the customer's next message is the AI's again."""
    shop.configure(escalation_rules={"keywords": ["lawyer"]})
    support = shop.tenant.data.tokens["support"]
    status, _ = console(
        runner, support, "PUT", "/v1/inbox/presence", {"status": "online", "max_concurrent_chats": 2}
    )
    assert status == 200
    browser = Browser(runner, shop.agent_id)
    assert browser.start() == 201
    status, body = browser.ask("My lawyer will call you")
    assert status == 200 and body["status"] == "with_human"  # assigned at once: an agent had room
    conversation_id = uuid.UUID(browser.conversation_id)
    escalation = owner_session.scalar(select(Escalation).where(Escalation.conversation_id == conversation_id))
    support_id = shop.tenant.data.support_agent_id
    assert (
        escalation is not None
        and escalation.assigned_to == support_id
        and escalation.status.value == "assigned"
    )

    status, mine = console(runner, support, "GET", "/v1/inbox/conversations?assigned=me")
    assert str(conversation_id) in [c["id"] for c in mine]
    status, _ = console(
        runner,
        support,
        "POST",
        f"/v1/inbox/conversations/{conversation_id}/messages",
        {"content": "Hi, I'm here. How can I help?"},
    )
    assert status == 201
    _, _, poll = browser.call("GET", "/conversation/messages")
    human = [m for m in poll["messages"] if m["role"] == "human_agent"]
    assert [m["content"] for m in human] == ["Hi, I'm here. How can I help?"]
    assert human[0]["sender_name"] == "support"

    status, body = browser.ask("I want my money back")
    assert [m["role"] for m in body["messages"]] == ["user"]  # the AI stays out of it

    status, _ = console(
        runner, support, "POST", f"/v1/inbox/conversations/{conversation_id}/notes", {"content": "VIP"}
    )
    assert status == 201
    status, detail = console(runner, support, "GET", f"/v1/inbox/conversations/{conversation_id}")
    assert [n["content"] for n in detail["notes"]] == ["VIP"]
    assert [m["role"] for m in detail["messages"]].count("human_agent") == 1

    status, resolved = console(
        runner,
        support,
        "POST",
        f"/v1/inbox/conversations/{conversation_id}/resolve",
        {"notes": "Refund issued"},
    )
    assert status == 200 and resolved["status"] == "resolved"
    owner_session.expire_all()
    escalation = owner_session.get(Escalation, escalation.id)
    assert escalation is not None and escalation.status.value == "resolved"
    assert escalation.wait_time is not None and escalation.handle_time is not None
    seat = owner_session.scalar(select(SupportAgentStatus).where(SupportAgentStatus.user_id == support_id))
    assert seat is not None and seat.current_chat_count == 0

    status, again = browser.ask("One more question about helmets")  # the AI answers, not the last human
    assert again["status"] == "active" and again["messages"][-1]["role"] == "assistant"


def test_returning_a_conversation_to_the_ai(shop: ChatShop) -> None:
    visitor = shop.visit()
    handed = shop.widget("POST", "/conversation/handover", token=visitor.token, json_body={})
    assert handed.body["status"] == "waiting_human"  # nobody online: it waits in the queue
    queue = _console(shop, "admin", "GET", "/v1/inbox/escalations").body
    assert visitor.conversation_id in [e["conversation_id"] for e in queue]
    back = _console(shop, "admin", "POST", f"/v1/inbox/conversations/{visitor.conversation_id}/return-to-ai")
    assert back.status == 200 and back.body["status"] == "active"
    assert visitor.send("hello again").body["messages"][-1]["role"] == "assistant"


def test_two_agents_claiming_at_once_exactly_one_wins(shop: ChatShop, owner_session: Session) -> None:
    visitor = shop.visit()
    shop.widget("POST", "/conversation/handover", token=visitor.token, json_body={})
    escalation_id = _console(shop, "admin", "GET", "/v1/inbox/escalations").body[0]["id"]
    second_token = _session_token(owner_session, shop.tenant.data.other_support_agent_id)
    owner_session.commit()
    tokens = [shop.tenant.data.tokens["support"], second_token]

    def claim(token: str) -> int:
        return shop.tenant.api.request(
            "POST", f"/v1/inbox/escalations/{escalation_id}/claim", token=token
        ).status

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(claim, tokens))
    # The loser is told the conversation was taken (409), or, once the winner's claim has
    # committed, no longer sees it at all: it belongs to another agent now (404).
    assert statuses[0] == 200 and statuses[1] in (404, 409)
    owner_session.expire_all()
    counts = owner_session.scalars(
        select(SupportAgentStatus.current_chat_count).where(
            SupportAgentStatus.company_id == shop.tenant.data.company_id
        )
    ).all()
    assert sum(counts) == 1  # the loser's seat was given back


def test_agents_only_see_their_own_and_unassigned_conversations(shop: ChatShop, other_shop: ChatShop) -> None:
    data = shop.tenant.data
    theirs = data.conversations["theirs"]  # assigned to the other support agent
    assert _console(shop, "support", "GET", f"/v1/inbox/conversations/{theirs}").status == 404
    assert (
        _console(shop, "support", "GET", f"/v1/inbox/conversations/{data.conversations['mine']}").status
        == 200
    )
    assert _console(shop, "admin", "GET", f"/v1/inbox/conversations/{theirs}").status == 200
    replied = _console(
        shop, "support", "POST", f"/v1/inbox/conversations/{theirs}/messages", json_body={"content": "x"}
    )
    assert replied.status == 404
    # Another company's admin: none of it exists.
    for path in (
        f"/v1/inbox/conversations/{theirs}",
        f"/v1/inbox/conversations/{data.conversations['mine']}",
    ):
        assert (
            other_shop.tenant.api.request("GET", path, token=other_shop.tenant.data.tokens["admin"]).status
            == 404
        )


def test_idle_agents_go_away_and_stop_receiving_conversations(shop: ChatShop) -> None:
    data = shop.tenant.data
    agent = Principal(
        kind=PrincipalKind.USER,
        id=data.support_agent_id,
        role=ContextRole.SUPPORT_AGENT,
        company_id=data.company_id,
    )
    start = datetime.now(UTC)
    inbox.update_presence(agent, inbox.PresenceIn(status="online", max_concurrent_chats=3), now=start)
    context = TenantContext.company_service(data.company_id)

    def assignable(at: datetime) -> uuid.UUID | None:
        with tenant_session(context) as db:
            picked = agent_presence.pick_agent(db, data.company_id, at)
            if picked is not None:
                agent_presence.free_seat(db, picked)  # only asking
            return picked

    assert assignable(start + timedelta(minutes=9)) == data.support_agent_id
    assert assignable(start + timedelta(minutes=11)) is None  # ten idle minutes: away
    team = {p.user_id: p for p in inbox.team_presence(agent, now=start + timedelta(minutes=11))}
    assert team[data.support_agent_id].status.value == "away"
    inbox.heartbeat(agent, now=start + timedelta(minutes=12))  # back: online again
    assert assignable(start + timedelta(minutes=13)) == data.support_agent_id


def test_capacity_limits_automatic_assignment(shop: ChatShop) -> None:
    _online(shop, max_chats=1)
    first, second = shop.visit(), shop.visit()
    assert (
        shop.widget("POST", "/conversation/handover", token=first.token, json_body={}).body["status"]
        == "with_human"
    )
    assert shop.widget("POST", "/conversation/handover", token=second.token, json_body={}).body["status"] == (
        "waiting_human"
    )
