"""The live inbox in a real browser (docs/realtime.md): the console's socket brings new escalations,
replies reach the widget with its polling blocked, typing shows both ways, and a support agent's
view lets go of a conversation transferred away from them."""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, Route, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from chatapp.db.enums import ChannelType, ConversationStatus, EscalationStatus, MessageRole
from chatapp.db.models.conversations import Conversation, Escalation, Message
from chatapp.db.models.realtime import RealtimeConnection
from chatapp.security import TokenKind, new_token
from tests.browser.conftest import Site
from tests.browser.test_console import _sign_in

SOONER_THAN_A_POLL = 4_000  # ms; the inbox polls every 8 s, and not at all while its socket is up
WIDGET_POLL = re.compile(r".*/conversation/messages(\?.*)?$")


def _live(page: Page) -> None:
    expect(page.get_by_text("Live", exact=True)).to_be_visible(timeout=10_000)


def _no_polling(route: Route) -> None:
    """The widget's poll for messages fails: only its socket can bring anything."""
    if route.request.method == "GET":
        route.abort()
    else:
        route.continue_()


def _escalate_from_the_widget(page: Page, text: str) -> tuple[Page, str]:
    widget = page.context.new_page()
    widget.goto("/demo")
    widget.get_by_role("button", name="Chat with Demo Co").click()
    panel = widget.get_by_role("dialog", name="Chat: Demo Co")
    box = panel.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(panel.locator(".notice")).to_contain_text("person from the team")
    return widget, panel.get_attribute("aria-label") or ""


def test_the_inbox_shows_a_new_escalation_without_a_reload(site: Site, page: Page) -> None:
    site.ok("PATCH", f"/v1/agents/{site.agent_id}", {"escalation_rules": {"keywords": ["lawyer"]}})
    _sign_in(page, site, "/inbox")
    _live(page)
    queue = page.get_by_role("region", name="Queue")
    before = queue.get_by_role("listitem").count()
    reason = f"lawyer {uuid.uuid4().hex[:6]}"

    widget, _ = _escalate_from_the_widget(page, f"My {reason} wants the parcel back")
    expect(queue.get_by_role("listitem")).to_have_count(before + 1, timeout=SOONER_THAN_A_POLL)
    expect(page.get_by_test_id("queue-badge")).to_have_text(str(before + 1), timeout=SOONER_THAN_A_POLL)
    widget.close()


def test_a_persons_reply_and_typing_reach_the_widget_with_its_polling_blocked(site: Site, page: Page) -> None:
    site.ok("PATCH", f"/v1/agents/{site.agent_id}", {"escalation_rules": {"keywords": ["lawyer"]}})
    widget, _ = _escalate_from_the_widget(page, "My lawyer says the parcel is lost")
    saved = widget.evaluate(f"JSON.parse(localStorage.getItem('buzzi-widget:{site.agent_id}'))")
    conversation = str(saved["conversationId"])
    widget.route(WIDGET_POLL, _no_polling)
    panel = widget.get_by_role("dialog", name="Chat: Demo Co")

    _sign_in(page, site, f"/inbox/{conversation}")
    _live(page)
    thread = page.get_by_role("region", name="Visitor")
    thread.get_by_role("button", name="Take over").click()
    expect(page.get_by_role("status").filter(has_text="You took over.")).to_be_visible()
    reply = page.get_by_label("Reply to the customer")
    reply.type("Let me look")
    expect(panel.get_by_role("status", name=re.compile("is typing$"))).to_be_visible(
        timeout=SOONER_THAN_A_POLL
    )
    reply.type(" into that parcel for you.")
    page.get_by_role("button", name="Send").click()
    expect(panel.locator(".msg.human")).to_contain_text(
        "Let me look into that parcel for you.", timeout=SOONER_THAN_A_POLL
    )
    widget.close()


def test_a_support_agents_view_lets_go_of_a_conversation_transferred_away(
    site: Site, owner_engine: Engine, page: Page
) -> None:
    data = site.tenant.data
    name = f"Robin {uuid.uuid4().hex[:6]}"
    with Session(owner_engine) as db, db.begin():
        conversation = Conversation(
            company_id=data.company_id,
            agent_id=data.agent_id,
            session_token=new_token(TokenKind.SESSION),
            channel=ChannelType.WEB,
            customer_name=name,
            status=ConversationStatus.WITH_HUMAN,
            assigned_agent_id=data.support_agent_id,
            is_human_agent=True,
        )
        db.add(conversation)
        db.flush()
        db.add(Message(conversation_id=conversation.id, role=MessageRole.USER, content="Where is my parcel?"))
        escalation = Escalation(
            conversation_id=conversation.id,
            company_id=data.company_id,
            agent_id=data.agent_id,
            reason="asked for a person",
            trigger_type="explicit_request",
            assigned_to=data.support_agent_id,
            status=EscalationStatus.ASSIGNED,
        )
        db.add(escalation)
        db.flush()
        conversation_id, escalation_id = conversation.id, escalation.id

    _sign_in(page, site, f"/inbox/{conversation_id}", who="support")
    _live(page)
    expect(page.get_by_role("region", name=name)).to_be_visible()
    page.get_by_role("button", name="Mine").click()
    conversations = page.get_by_role("region", name="Conversations")
    expect(conversations.get_by_role("link", name=name)).to_be_visible()

    site.ok(
        "POST",
        f"/v1/inbox/escalations/{escalation_id}/transfer",
        {"user_id": str(data.other_support_agent_id)},
    )
    expect(page.get_by_text("That conversation was transferred to a teammate.")).to_be_visible(
        timeout=SOONER_THAN_A_POLL
    )
    expect(page).to_have_url(re.compile(r"/console/inbox$"))
    expect(conversations.get_by_role("link", name=name)).to_have_count(0, timeout=SOONER_THAN_A_POLL)


def _console_sockets(owner_engine: Engine, user_id: uuid.UUID) -> int:
    with Session(owner_engine) as db:
        return (
            db.scalar(
                select(func.count())
                .select_from(RealtimeConnection)
                .where(RealtimeConnection.user_id == user_id)
            )
            or 0
        )


def test_a_colleagues_presence_changes_on_the_team_page_without_a_reload(
    site: Site, page: Page, owner_engine: Engine
) -> None:
    support = site.tenant.data.tokens["support"]
    site.ok("PUT", "/v1/inbox/presence", {"status": "online"}, token=support)
    admin = site.tenant.data.admin_id
    before = _console_sockets(owner_engine, admin)
    _sign_in(page, site, "/team")
    row = page.get_by_role("row").filter(has_text="support-")
    expect(row.locator(".badge")).to_have_text("online")
    # The change below must come over the page's socket, not the next poll: wait until it is open.
    deadline = time.monotonic() + 15
    while _console_sockets(owner_engine, admin) <= before:
        assert time.monotonic() < deadline, "the console's socket never connected"
        time.sleep(0.1)
    site.ok("PUT", "/v1/inbox/presence", {"status": "busy"}, token=support)
    expect(row.locator(".badge")).to_have_text("busy", timeout=SOONER_THAN_A_POLL)
