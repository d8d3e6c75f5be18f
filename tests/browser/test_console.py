"""The admin console in a real browser, served by the local runner at /console/: signing in with the
magic link the runner prints, creating and configuring an agent, uploading a Markdown file by drag and
drop until it is indexed, taking over an escalated widget conversation and replying from the inbox,
transferring a conversation to a teammate, managing canned responses, rotating a channel's credentials,
and the analytics charts drawing the seeded conversations after the rollup. The tests also save
screenshots of the main screens to docs/screenshots/."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.enums import ChannelType, ConversationStatus, MessageRole, UserRole
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.models.conversations import Conversation, Escalation, Message
from chatapp.db.models.core import Company, User
from chatapp.db.models.team import SupportAgentStatus
from chatapp.security import TokenKind, new_token
from devtools.fake_platforms import FakePlatforms
from tests.browser.conftest import Screenshot, Site

SESSION_KEY = "buzzi.console.session"  # where the console keeps its session token (src/api.ts)
SIGN_IN_LOG = "sign-in link (local only)"  # chatapp.identity.magic_links, local environments only
SHIPPING = (
    "# Shipping\n\n## Delivery times\n\nOrders ship within one working day and arrive in two to four "
    "days. Express delivery arrives the next working day.\n\n## Costs\n\nShipping is free above 50 euros.\n"
)


@pytest.fixture(scope="module", autouse=True)
def warm_functions(site: Site) -> None:
    """Import every HTTP function before the console's first page load, as `./run dev` does: a screen
    loads several APIs at once, and two threads importing one function module would race."""
    for spec in site.local_aws.sources.specs:
        if spec.routes:
            spec.load_handler()


class _LinkCatcher(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.links: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == SIGN_IN_LOG:
            self.links.append(str(getattr(record, "url", "")))


@pytest.fixture
def runner_log() -> Iterator[_LinkCatcher]:
    """The sign-in links the runner prints to its log (its handlers log through the `buzzi` logger;
    tests run it at WARNING, so INFO is let through while the test reads it)."""
    from chatapp.observability import logger

    python_logger = logging.getLogger(logger.service)
    catcher = _LinkCatcher()
    previous = python_logger.level
    python_logger.addHandler(catcher)
    python_logger.setLevel(logging.INFO)
    yield catcher
    python_logger.removeHandler(catcher)
    python_logger.setLevel(previous)


def _sign_in(page: Page, site: Site, path: str, who: str = "admin") -> None:
    """Opens `path` with a console session of the demo company (the sign-in itself is tested below)."""
    page.goto("/console/")
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [SESSION_KEY, site.token(who)])
    page.goto(f"/console{path}")
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()


def test_sign_in_with_the_magic_link_the_runner_prints(
    site: Site, owner_engine: Engine, page: Page, runner_log: _LinkCatcher, screenshot: Screenshot
) -> None:
    email = f"dana-{uuid.uuid4().hex[:8]}@demo-co.example.com"
    with Session(owner_engine) as db, db.begin():
        db.add(
            User(
                email=email,
                name="Dana Admin",
                role=UserRole.COMPANY_ADMIN,
                company_id=site.tenant.data.company_id,
            )
        )

    page.goto("/console/")
    expect(page.get_by_role("heading", name="Sign in to the console")).to_be_focused()
    page.get_by_label("Work e-mail").fill(email)
    screenshot("console-sign-in")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("sign-in link")

    assert len(runner_log.links) == 1, runner_log.links
    link = runner_log.links[0]
    assert link.startswith(f"{site.base_url}/console/auth/verify?token="), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Agents")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Dana Admin")
    assert "token=" not in page.url  # the link's token does not stay in the address bar or history
    assert page.evaluate(f"localStorage.getItem('{SESSION_KEY}')", None).startswith("bzs_")

    # A link works once: opening it again explains what to do instead of signing in.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the console")).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{SESSION_KEY}')", None) is None
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("not valid")


def test_create_an_agent_configure_it_and_copy_its_widget_snippet(
    site: Site, page: Page, screenshot: Screenshot
) -> None:
    _sign_in(page, site, "/agents")
    name = f"Returns helper {uuid.uuid4().hex[:4]}"
    form = page.get_by_role("form", name="Create an agent")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Description").fill("Answers questions about returns")
    form.get_by_role("button", name="Create agent").click()

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    agent_id = page.url.rsplit("/", 1)[-1]
    page.get_by_label("Personality").fill("Warm, brief and precise.")
    page.get_by_label("Tone").select_option("empathetic")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    page.get_by_role("tab", name="Escalation").click()
    page.get_by_label("Keywords").fill("refund, lawyer")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    saved = site.ok("GET", f"/v1/agents/{agent_id}")
    assert saved["personality"] == "Warm, brief and precise."
    assert saved["response_style"] == {"tone": "empathetic"}
    assert saved["escalation_rules"]["keywords"] == ["refund", "lawyer"]

    page.get_by_role("tab", name="Widget").click()
    page.get_by_label("Title", exact=True).fill("Returns desk")
    page.get_by_label("Welcome message").fill("Hello! Ask me about returns.")
    preview = page.get_by_test_id("widget-preview")  # Playwright pierces the preview's shadow root
    expect(preview).to_contain_text("Returns desk")
    expect(preview).to_contain_text("Hello! Ask me about returns.")
    snippet = page.get_by_label("Embed snippet")
    expect(snippet).to_have_text(
        f'<script src="{site.base_url}/widget.js" data-agent-id="{agent_id}" async></script>'
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Widget saved")
    assert site.ok("GET", f"/v1/agents/{agent_id}/widget")["title"] == "Returns desk"
    screenshot("console-agent-widget", full_page=True)

    page.get_by_role("link", name="All agents").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()
    screenshot("console-agents")


def _drop_file(page: Page, selector: str, name: str, text: str, mime_type: str) -> None:
    """Drops a file on `selector` the way a browser does for a drag from the desktop."""
    page.evaluate(
        """([selector, name, text, type]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, { type }));
            const zone = document.querySelector(selector);
            const init = { dataTransfer: data, bubbles: true, cancelable: true };
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        [selector, name, text, mime_type],
    )


def test_a_dropped_markdown_file_is_indexed_and_found_by_the_retrieval_test(
    site: Site, page: Page, screenshot: Screenshot
) -> None:
    _sign_in(page, site, "/knowledge")
    category = f"Shipping {uuid.uuid4().hex[:4]}"
    new_category = page.get_by_role("form", name="New category")
    new_category.get_by_label("New category").fill(category)
    new_category.get_by_role("button", name="Add category").click()
    expect(page.get_by_role("heading", name=category)).to_be_visible()

    _drop_file(page, ".dropzone", "shipping.md", SHIPPING, "text/markdown")
    upload = page.locator('.upload[data-filename="shipping.md"]')
    expect(upload).to_be_visible()
    # Uploaded with progress, then polled while the ingest function (run by the runner) indexes it.
    expect(upload).to_have_attribute("data-status", "indexed", timeout=60_000)
    expect(page.locator("tr[data-file-status=indexed]").filter(has_text="shipping.md")).to_be_visible()

    category_id = next(c["id"] for c in site.ok("GET", "/v1/knowledge/categories") if c["name"] == category)
    site.ok("PUT", f"/v1/agents/{site.agent_id}/knowledge-categories", {"category_ids": [category_id]})
    retrieval = page.get_by_role("region", name="Test retrieval")
    retrieval.get_by_label("Question").fill("How long does delivery take?")
    retrieval.get_by_role("button", name="Search").click()
    expect(retrieval.locator(".results li").first).to_contain_text("shipping.md")
    expect(retrieval.locator(".results")).to_contain_text("two to four days")
    screenshot("console-knowledge", full_page=True)


def test_a_person_takes_over_an_escalated_widget_chat_and_replies_from_the_inbox(
    site: Site, page: Page, screenshot: Screenshot
) -> None:
    site.ok("PATCH", f"/v1/agents/{site.agent_id}", {"escalation_rules": {"keywords": ["lawyer"]}})
    widget = page.context.new_page()
    widget.goto("/demo")
    widget.get_by_role("button", name="Chat with Demo Co").click()
    panel = widget.get_by_role("dialog", name="Chat: Demo Co")
    box = panel.get_by_role("textbox", name="Message")
    box.fill("My lawyer says the parcel is lost")
    box.press("Enter")
    expect(panel.locator(".notice")).to_contain_text("person from the team")

    saved = widget.evaluate(f"JSON.parse(localStorage.getItem('buzzi-widget:{site.agent_id}'))")
    conversation = str(saved["conversationId"])

    _sign_in(page, site, "/inbox")
    queue = page.get_by_role("region", name="Queue")
    expect(queue.get_by_role("button", name="Take over").first).to_be_visible(timeout=15_000)
    page.goto(f"/console/inbox/{conversation}")
    thread = page.get_by_role("region", name="Visitor")
    thread.get_by_role("button", name="Take over").click()
    expect(page.get_by_role("status")).to_have_text("You took over.")
    expect(thread.locator(".badge").first).to_have_text("with human")
    messages = page.get_by_role("list", name="Messages")
    expect(messages).to_contain_text("My lawyer says the parcel is lost")

    # A canned response goes in as its shortcut; the server expands it and counts the use.
    shortcut = f"/intro-{uuid.uuid4().hex[:6]}"
    canned = site.ok(
        "POST",
        "/v1/inbox/canned-responses",
        {"title": "Introduce yourself", "shortcut": shortcut, "content": "I'm Dana from Demo Co."},
    )
    page.reload()
    reply = page.get_by_label("Reply to the customer")
    page.get_by_label("Canned response").select_option(label=f"Introduce yourself ({shortcut})")
    expect(reply).to_have_value(f"{shortcut} ")
    reply.press("End")
    reply.type("Let me find your parcel.")
    expect(page.get_by_text("Sends as: I'm Dana from Demo Co. Let me find your parcel.")).to_be_visible()
    page.get_by_role("button", name="Send").click()
    expect(messages).to_contain_text("I'm Dana from Demo Co. Let me find your parcel.")
    [used] = [r for r in site.ok("GET", "/v1/inbox/canned-responses") if r["id"] == canned["id"]]
    assert used["usage_count"] == 1
    page.get_by_label("Add a note").fill("Parcel lookup with the carrier.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("region", name="Internal notes")).to_contain_text(
        "Parcel lookup with the carrier."
    )
    screenshot("console-inbox")

    # The reply typed in the console reaches the visitor's widget (which polls for human replies).
    expect(panel.locator(".msg.human")).to_contain_text("Let me find your parcel.", timeout=15_000)
    widget.close()


def test_an_admin_transfers_an_escalated_conversation_to_a_teammate(
    site: Site, owner_engine: Engine, page: Page
) -> None:
    data = site.tenant.data
    suffix = uuid.uuid4().hex[:6]
    with Session(owner_engine) as db, db.begin():
        booked = User(
            email=f"booked-{suffix}@demo-co.example.com",
            name=f"Booked {suffix}",
            role=UserRole.SUPPORT_AGENT,
            company_id=data.company_id,
        )
        conversation = Conversation(
            company_id=data.company_id,
            agent_id=data.agent_id,
            session_token=new_token(TokenKind.SESSION),
            channel=ChannelType.WEB,
            customer_name=f"Robin {suffix}",
            status=ConversationStatus.WAITING_HUMAN,
        )
        db.add_all([booked, conversation])
        db.flush()
        db.add(SupportAgentStatus(user_id=booked.id, company_id=data.company_id, max_concurrent_chats=0))
        db.add(Message(conversation_id=conversation.id, role=MessageRole.USER, content="Can a person help?"))
        db.add(
            Escalation(
                conversation_id=conversation.id,
                company_id=data.company_id,
                agent_id=data.agent_id,
                reason="asked for a person",
                trigger_type="explicit_request",
            )
        )
        booked_id, conversation_id = booked.id, conversation.id

    _sign_in(page, site, f"/inbox/{conversation_id}")
    thread = page.get_by_role("region", name=f"Robin {suffix}")
    thread.get_by_role("button", name="Transfer…").click()
    form = thread.get_by_role("form", name="Transfer the conversation")
    # A teammate at their maximum number of chats is refused by the API; the console says why.
    form.get_by_label("Transfer to").select_option(str(booked_id))
    form.get_by_role("button", name="Transfer", exact=True).click()
    expect(thread.get_by_role("alert")).to_contain_text("maximum number of chats")
    form.get_by_label("Transfer to").select_option(str(data.other_support_agent_id))
    form.get_by_role("button", name="Transfer", exact=True).click()
    expect(thread.get_by_role("status")).to_have_text("Transferred to support2.")
    expect(form).to_have_count(0)

    detail = site.ok("GET", f"/v1/inbox/conversations/{conversation_id}")
    assert detail["assigned_agent_id"] == str(data.other_support_agent_id)
    assert detail["status"] == "with_human"
    assert [(e["assigned_to"], e["status"]) for e in detail["escalations"]] == [
        (str(data.other_support_agent_id), "assigned")
    ]


def test_an_admin_manages_canned_responses_that_support_agents_can_read(
    site: Site, page: Page, screenshot: Screenshot
) -> None:
    def saved(shortcut: str) -> list[dict]:
        return [r for r in site.ok("GET", "/v1/inbox/canned-responses") if r["shortcut"] == shortcut]

    shortcut = f"/refund-{uuid.uuid4().hex[:6]}"
    _sign_in(page, site, "/canned-responses")
    editor = page.get_by_role("form", name="New canned response")
    editor.get_by_label("Title").fill("Refund policy")
    editor.get_by_label("Shortcut").fill(shortcut)
    editor.get_by_label("Text").fill("Hi {{customer_name}}, refunds arrive within five days.")
    editor.get_by_role("radio", name="Only these agents").check()
    editor.get_by_role("checkbox", name="Demo bot").check()
    editor.get_by_role("button", name="Add canned response").click()
    row = page.get_by_role("row").filter(has_text=shortcut)
    expect(row).to_contain_text("Demo bot")
    expect(row).to_contain_text("Fills in: {{customer_name}}")
    expect(row).to_contain_text("Never")
    screenshot("console-canned-responses", full_page=True)
    [created] = saved(shortcut)
    assert (created["title"], created["is_global"], created["agent_ids"]) == (
        "Refund policy",
        False,
        [site.agent_id],
    )

    row.get_by_role("button", name="Edit Refund policy").click()
    edit = page.get_by_role("form", name="Edit canned response")
    expect(edit.get_by_label("Title")).to_have_value("Refund policy")
    edit.get_by_label("Title").fill("Refunds")
    edit.get_by_role("radio", name="All agents").check()
    edit.get_by_role("button", name="Save changes").click()
    expect(row).to_contain_text("All agents")
    [edited] = saved(shortcut)
    assert (edited["id"], edited["title"], edited["is_global"], edited["agent_ids"]) == (
        created["id"],
        "Refunds",
        True,
        [],
    )

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Refunds").click()
    expect(row).to_have_count(0)
    assert saved(shortcut) == []

    # Support agents see the team's responses, without the editor.
    _sign_in(page, site, "/canned-responses", who="support")
    expect(page.get_by_role("row").filter(has_text="Thank you!")).to_be_visible()
    expect(page.get_by_role("form", name="New canned response")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit Thanks")).to_have_count(0)


def test_an_admin_rotates_a_channel_secret_and_sees_the_verification_reset(
    site: Site, owner_engine: Engine, page: Page, platforms: FakePlatforms
) -> None:
    from chatapp.channels.configs import credentials_of

    data = site.tenant.data
    bot = f"rotbot_{uuid.uuid4().hex[:6]}"
    with Session(owner_engine) as db, db.begin():
        config = ChannelConfig(
            company_id=data.company_id,
            agent_id=data.agent_id,
            channel=ChannelType.TELEGRAM,
            webhook_id=f"wh-{bot}",
            credentials={"botUsername": bot},
            is_verified=True,
            last_verified_at=datetime.now(UTC),
            settings={"lastError": "Telegram answered 401 Unauthorized"},
        )
        db.add(config)
        db.flush()
        channel_id = config.id

    _sign_in(page, site, "/channels")
    row = page.get_by_role("row").filter(has_text=bot)
    expect(row).to_contain_text("401 Unauthorized")
    row.get_by_role("button", name="Rotate credentials").click()
    panel = page.get_by_role("region", name="Rotate credentials")
    state = panel.locator("dl")
    expect(state).to_contain_text("401 Unauthorized")
    expect(panel.get_by_label("Bot Token")).to_be_focused()
    token = f"123456:{uuid.uuid4().hex}"
    platforms.register(token, bot)  # Telegram's getMe confirms the new token is this bot's
    panel.get_by_label("Bot Token").fill(token)
    panel.get_by_role("button", name="Replace credentials").click()
    expect(panel.get_by_role("status")).to_contain_text("Bot Token replaced")
    expect(state).to_contain_text("not verified")
    expect(state).not_to_contain_text("401")
    expect(row).not_to_contain_text("401")

    channel = site.ok("GET", f"/v1/channels/{channel_id}")
    assert (channel["is_verified"], channel["last_error"]) == (False, None)
    assert (channel["identifiers"], channel["secrets_set"]) == ({"botUsername": bot}, ["botToken"])
    with Session(owner_engine) as db:
        stored = db.get(ChannelConfig, channel_id)
        assert stored is not None and stored.credentials["botToken"] != token  # sealed at rest
        assert credentials_of(stored)["botToken"] == token


@pytest.fixture
def seeded_analytics(site: Site, owner_engine: Engine) -> int:
    """Conversations of today written straight to the database, then the daily rollup, as the
    scheduled analytics job would do at night. Returns how many conversations were seeded."""
    from chatapp.analytics.rollup import rollup_date
    from devtools.seed_history import add_conversations

    company_id = site.tenant.data.company_id
    agent_id = site.tenant.data.agent_id
    with Session(owner_engine) as db, db.begin():
        zone = ZoneInfo(db.get(Company, company_id).timezone or "UTC")
        now = datetime.now(UTC)
        add_conversations(db, company_id, agent_id, at=now, count=4)
    rollup_date(now.astimezone(zone).date(), company_id)
    return 4


def test_the_analytics_charts_draw_the_seeded_conversations(
    site: Site, page: Page, seeded_analytics: int, screenshot: Screenshot
) -> None:
    _sign_in(page, site, "/analytics")
    totals = page.get_by_role("list", name="Totals")
    expect(totals).to_be_visible()
    conversations = int(
        totals.get_by_role("listitem").filter(has_text="Conversations").locator(".stat-value").inner_text()
    )
    assert conversations >= seeded_analytics

    chart = page.locator("figure.chart").filter(has_text="Conversations").first
    canvas = chart.locator("canvas")
    expect(canvas).to_be_visible()
    assert int(chart.get_attribute("data-measured-points") or 0) >= 1  # days with conversations
    # The canvas really shows a point above the zero line: pixels of the series colour (#4f46e5)
    # span more than the baseline's height.
    rows = canvas.evaluate(
        """canvas => {
            const { width, height } = canvas;
            const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
            const rows = new Set();
            for (let i = 0; i < pixels.length; i += 4) {
                const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
                if (Math.abs(r - 79) < 12 && Math.abs(g - 70) < 12 && Math.abs(b - 229) < 12) {
                    rows.add(Math.floor(i / 4 / width));
                }
            }
            return rows.size ? [Math.min(...rows), Math.max(...rows)] : [];
        }"""
    )
    assert rows and rows[1] - rows[0] > 20, f"no point above the baseline was drawn: rows {rows}"
    screenshot("console-analytics", full_page=True)


def test_the_billing_page_shows_the_plan_and_usage_against_its_limits(
    site: Site, page: Page, screenshot: Screenshot
) -> None:
    _sign_in(page, site, "/billing")
    expect(page.get_by_role("heading", name="Plan: Test plan")).to_be_visible()
    usage = page.get_by_role("region", name="Usage this month")
    expect(usage.get_by_role("row").filter(has_text="Agents")).to_be_visible()
    screenshot("console-billing", full_page=True)


def test_api_errors_are_shown_to_the_user(site: Site, page: Page) -> None:
    _sign_in(page, site, "/agents/00000000-0000-4000-8000-000000000000")
    expect(page.get_by_role("alert")).to_contain_text("No such agent")
    _sign_in(page, site, "/analytics", who="support")  # support agents have no analytics screen
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()


def test_an_admin_turns_on_identity_verification_and_sees_the_secret_once(site: Site, page: Page) -> None:
    _sign_in(page, site, "/settings")
    card = page.get_by_role("region", name="Widget identity verification")
    warning = card.get_by_role("alert")
    expect(warning).to_contain_text("Identity verification is off")  # a company older than the setting
    try:
        card.get_by_role("button", name="Generate identity secret").click()
        secret = page.get_by_role("region", name="Identity secret")
        expect(secret.locator("code")).to_contain_text("bzid_")
        value = secret.locator("code").inner_text()
        secret.get_by_role("button", name="Done").click()
        expect(page.get_by_role("region", name="Identity secret")).to_be_hidden()
        expect(card.get_by_role("button", name="Rotate identity secret")).to_be_visible()
        card.get_by_role("checkbox", name="Require identity verification").check()
        expect(card.get_by_text("Only signed visitor identities are trusted now.")).to_be_visible()
        expect(warning).to_be_hidden()
        page.reload()  # the secret is not shown again; the setting stays
        expect(card.get_by_role("checkbox", name="Require identity verification")).to_be_checked()
        assert value not in page.content()
    finally:
        site.ok("PATCH", "/v1/companies/me", {"require_identity_verification": False})


def test_a_long_conversation_opens_on_its_latest_messages_and_pages_back(
    site: Site, owner_engine: Engine, page: Page
) -> None:
    data = site.tenant.data
    suffix = uuid.uuid4().hex[:6]
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with Session(owner_engine) as db, db.begin():
        conversation = Conversation(
            company_id=data.company_id,
            agent_id=data.agent_id,
            session_token=new_token(TokenKind.SESSION),
            channel=ChannelType.WEB,
            customer_name=f"Chatty {suffix}",
            status=ConversationStatus.ACTIVE,
        )
        db.add(conversation)
        db.flush()
        db.add_all(
            Message(
                conversation_id=conversation.id,
                role=MessageRole.USER if n % 2 == 0 else MessageRole.ASSISTANT,
                content=f"line {n:03d}",
                created_at=start.replace(minute=n % 60, hour=9 + n // 60),
            )
            for n in range(120)
        )
        conversation_id = conversation.id

    _sign_in(page, site, f"/inbox/{conversation_id}")
    thread = page.get_by_role("region", name=f"Chatty {suffix}")
    messages = thread.get_by_role("list", name="Messages").get_by_role("listitem")
    expect(messages).to_have_count(50)
    expect(messages.last).to_contain_text("line 119")
    thread.get_by_role("button", name="Show earlier messages").click()
    expect(messages).to_have_count(100)
    thread.get_by_role("button", name="Show earlier messages").click()
    expect(messages).to_have_count(120)
    expect(messages.first).to_contain_text("line 000")
    expect(thread.get_by_role("button", name="Show earlier messages")).to_have_count(0)
