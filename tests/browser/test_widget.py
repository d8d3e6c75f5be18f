"""The chat widget in a real browser: on the runner's /demo page (whose own CSS is hostile on purpose),
answering with citations, handing over to a person whose replies arrive by polling, surviving a
reload, showing markup as text, and refusing clearly on a site its company did not allow."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Conversation, Customer
from devtools.fake_anthropic import FakeAnthropic, delayed, text_reply, tool_use_reply
from tests.browser.conftest import DEMO_WIDGET, Screenshot, Site

RETURNS = (
    "# Returns\n\n## Return window\n\nUnworn shoes can be returned within 30 days of delivery for a full "
    "refund. Print the prepaid label from your order page.\n\n## Exchanges\n\nExchanges for another size "
    "are free and ship within two working days.\n"
)
XSS = "<img src=x onerror=alert(1)>"
LOGO = base64.b64decode(  # a 1x1 PNG, served for the configured https logo URL
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/eL9ZKQAAAABJRU5ErkJggg=="
)
HOST = "#buzzi-chat-widget"
RESET = {  # the settings test_the_widget_follows_its_configuration changes, back to their defaults
    "theme": "light",
    "position": "bottom-right",
    "logo_url": None,
    "placeholder_text": None,
    "auto_open": False,
    "show_branding": True,
    "enable_emoji": True,
    "enable_file_upload": True,
    "custom_css": None,
}


@pytest.fixture(scope="module")
def shop(site: Site) -> Site:
    """The demo agent knows the returns policy and hands "lawyer" conversations to a person."""
    site.teach("returns.md", RETURNS)
    site.ok("PATCH", f"/v1/agents/{site.agent_id}", {"escalation_rules": {"keywords": ["lawyer"]}})
    return site


def _open(page: Page) -> Locator:
    """Opens the widget on the current page; returns its panel."""
    launcher = page.get_by_role("button", name="Chat with Demo Co")
    launcher.click()
    panel = page.get_by_role("dialog", name="Chat: Demo Co")
    expect(panel).to_be_visible()
    return panel


def _ask(panel: Locator, text: str) -> None:
    box = panel.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def _shadow(page: Page, script: str) -> Any:
    """Evaluates `script` with `root` bound to the widget's shadow root."""
    return page.evaluate(
        f"(() => {{ const root = document.querySelector('{HOST}').shadowRoot; {script} }})()"
    )


def _saved_conversation(page: Page, agent_id: str) -> str:
    saved = page.evaluate(f"JSON.parse(localStorage.getItem('buzzi-widget:{agent_id}'))")
    return str(saved["conversationId"])


def test_the_demo_widget_answers_with_a_citation_and_keeps_the_conversation_across_a_reload(
    shop: Site, page: Page, claude: FakeAnthropic, screenshot: Screenshot
) -> None:
    claude.script(
        delayed(0.6, tool_use_reply("rag_search", {"query": "return window"})),
        text_reply("You can return unworn shoes within **30 days** of delivery [1]."),
    )
    page.goto("/demo")
    launcher = page.get_by_role("button", name="Chat with Demo Co")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    # The page's hostile CSS (serif, red, dashed yellow buttons) does not reach into the widget.
    assert page.locator("h1").evaluate("e => getComputedStyle(e).fontFamily").startswith("Georgia")
    style = launcher.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderStyle]")
    assert style == ["rgb(15, 118, 110)", "none"]
    screenshot("widget-closed")

    panel = _open(page)
    expect(launcher).to_have_attribute("aria-expanded", "true")
    assert (
        _shadow(page, "return root.activeElement && root.activeElement.getAttribute('aria-label')")
        == "Message"
    )
    assert "serif" not in panel.evaluate("e => getComputedStyle(e).fontFamily").replace("sans-serif", "")
    expect(panel.get_by_role("log")).to_contain_text("Ask me anything.")

    _ask(panel, "How long do I have to return shoes?")
    expect(panel.get_by_role("status", name="Typing")).to_be_visible()  # while the agent answers
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text("You can return unworn shoes within 30 days of delivery")
    expect(panel.get_by_role("status", name="Typing")).to_be_hidden()
    expect(answer.locator("strong")).to_have_text("30 days")
    citation = answer.get_by_role("link", name="Source 1: returns.md")
    expect(citation).to_have_text("[1]")
    expect(answer.get_by_role("list", name="Sources")).to_contain_text("returns.md")
    citation.click()
    assert _shadow(page, "return root.activeElement.textContent").startswith("returns.md")
    screenshot("widget-answer")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    conversation = _saved_conversation(page, shop.agent_id)
    page.reload()
    panel = _open(page)
    log = panel.get_by_role("log")
    expect(log).to_contain_text("How long do I have to return shoes?")
    expect(log.get_by_role("link", name="Source 1: returns.md")).to_be_visible()
    assert _saved_conversation(page, shop.agent_id) == conversation
    assert len(claude.requests) == 2  # the reload asked no new answer


def test_a_keyword_escalation_hands_over_and_the_persons_reply_arrives(
    shop: Site, page: Page, screenshot: Screenshot
) -> None:
    support = shop.token("support")
    shop.ok("PUT", "/v1/inbox/presence", {"status": "online", "max_concurrent_chats": 10}, token=support)
    page.goto("/demo")
    panel = _open(page)
    expect(panel.get_by_role("button", name="Talk to a human")).to_be_visible()
    _ask(panel, "My lawyer will call you about my refund")
    notice = panel.locator(".notice")
    expect(notice).to_contain_text("person from the team")
    expect(panel.get_by_role("button", name="Talk to a human")).to_be_hidden()

    conversation = _saved_conversation(page, shop.agent_id)
    shop.ok(
        "POST",
        f"/v1/inbox/conversations/{conversation}/messages",
        {"content": "Hi, I'm here to help. **No need for lawyers.**"},
        token=support,
    )
    reply = panel.locator(".msg.human")
    expect(reply).to_contain_text("Hi, I'm here to help.", timeout=10_000)  # polled every few seconds
    expect(reply.locator("strong")).to_have_text("No need for lawyers.")
    expect(reply.locator(".who")).to_have_text("support")
    screenshot("widget-human-reply")


def test_markup_in_messages_is_shown_as_text(shop: Site, page: Page, claude: FakeAnthropic) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    claude.script(text_reply(f"You wrote {XSS}, which is **just text** here."))
    page.goto("/demo")
    panel = _open(page)
    _ask(panel, XSS)
    expect(panel.locator(".msg.user .bubble")).to_have_text(XSS)
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text(f"You wrote {XSS}, which is just text here.")
    expect(answer.locator("strong")).to_have_text("just text")
    assert _shadow(page, "return root.querySelectorAll('img, script, iframe').length") == 0
    assert page.locator("img").count() == 0
    assert dialogs == []

    panel.get_by_role("button", name="End chat").click()  # ending asks for a rating
    panel.get_by_role("group", name="Rate this conversation").get_by_role("button", name="5 out of 5").click()
    expect(panel.get_by_role("log")).to_contain_text("Thanks for your feedback!")
    assert page.evaluate(f"localStorage.getItem('buzzi-widget:{shop.agent_id}')") is None


def test_the_mobile_layout_fills_the_screen_and_offers_a_person(
    shop: Site, browser: Browser, screenshot: Screenshot
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=shop.base_url
    )
    try:
        phone = context.new_page()
        phone.goto("/demo")
        panel = _open(phone)
        box = panel.bounding_box()
        assert box is not None and (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
        panel.get_by_role("button", name="Talk to a human").click()
        expect(panel.locator(".notice")).to_contain_text("person from the team")
        screenshot("widget-mobile", page=phone)
    finally:
        context.close()


def test_files_and_emoji_go_with_a_message(shop: Site, page: Page, tmp_path: Path) -> None:
    page.goto("/demo")
    panel = _open(page)
    panel.get_by_role("button", name="Insert emoji").click()
    panel.get_by_role("button", name="👍").click()
    expect(panel.get_by_role("textbox", name="Message")).to_have_value("👍")
    receipt = tmp_path / "receipt.txt"
    receipt.write_text("Order 1042, paid 89.00")
    panel.locator("input[type=file]").set_input_files(str(receipt))  # straight to storage, presigned
    expect(panel.locator(".chip")).to_contain_text("receipt.txt (1 KB)")
    _ask(panel, "👍 here is my receipt")
    sent = panel.locator(".msg.user").last
    expect(sent).to_contain_text("here is my receipt")
    expect(sent.get_by_role("list", name="Attachments")).to_contain_text("receipt.txt")


def test_the_widget_follows_its_configuration(shop: Site, context: BrowserContext, page: Page) -> None:
    """Theme, position, colour, texts, logo, auto-open, branding, tools and custom CSS all come from
    the company's widget settings."""
    context.route(
        "https://cdn.example.com/**", lambda route: route.fulfill(body=LOGO, content_type="image/png")
    )
    custom = {
        "theme": "dark",
        "position": "top-left",
        "primary_color": "#f5c518",
        "title": "Night Shop",
        "subtitle": "Open late",
        "logo_url": "https://cdn.example.com/logo.png",
        "placeholder_text": "Ask the night shift…",
        "auto_open": True,
        "auto_open_delay": 200,
        "show_branding": False,
        "enable_emoji": False,
        "enable_file_upload": False,
        "custom_css": ".title { letter-spacing: 3px; }",
    }
    shop.ok("PUT", f"/v1/agents/{shop.agent_id}/widget", custom)
    try:
        page.goto("/demo")
        panel = page.get_by_role("dialog", name="Chat: Night Shop")
        expect(panel).to_be_visible()  # opened by itself
        assert _shadow(page, "return root.activeElement") is None  # without taking the page's focus
        launcher = page.get_by_role("button", name="Chat with Night Shop")
        box = launcher.bounding_box()
        assert box is not None and box["x"] < 40 and box["y"] < 40
        assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(245, 197, 24)"
        assert launcher.evaluate("e => getComputedStyle(e).color") == "rgb(17, 17, 17)"  # dark on yellow
        assert panel.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 33, 39)"
        expect(panel.locator(".title")).to_have_css("letter-spacing", "3px")
        expect(panel.locator(".sub")).to_have_text("Open late")
        expect(panel.locator(".head img")).to_have_attribute("src", "https://cdn.example.com/logo.png")
        expect(panel.get_by_role("textbox", name="Message")).to_have_attribute(
            "placeholder", "Ask the night shift…"
        )
        for absent in ("Insert emoji", "Attach a file"):
            expect(panel.get_by_role("button", name=absent)).to_have_count(0)
        expect(panel).not_to_contain_text("Powered by Buzzi")
    finally:
        shop.ok("PUT", f"/v1/agents/{shop.agent_id}/widget", {**DEMO_WIDGET, **RESET})


class _HostPage(BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(self.html)))
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_origin(site: Site) -> Iterator[str]:
    """A company's page on an origin its widget does not allow: 127.0.0.2 is loopback, but not one
    of the allowed domains ("127.0.0.1", "localhost"), and a different origin from the runner's."""
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Elsewhere</title></head>"
        "<body><h1>Somebody else's site</h1>"
        f"<script src='{site.base_url}/widget.js' data-agent-id='{site.agent_id}'></script></body></html>"
    )
    handler = type("HostPage", (_HostPage,), {"html": page.encode()})
    server = ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_a_site_that_is_not_allowed_gets_a_clear_error(
    site: Site, page: Page, other_origin: str, screenshot: Screenshot
) -> None:
    page.goto(other_origin)
    page.get_by_role("button", name="Chat", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Chat isn't available on this website.")
    expect(alert).to_contain_text("not allowed to use this chat")
    expect(page.get_by_role("textbox", name="Message")).to_be_hidden()
    expect(page.get_by_role("button", name="Talk to a human")).to_be_hidden()
    screenshot("widget-site-not-allowed")


@pytest.fixture
def signed_in_pages(site: Site, owner_engine: Engine) -> Iterator[tuple[str, str, Customer]]:
    """A company page that renders the widget for a signed-in customer, signed as the README shows,
    and one whose hash was forged; the company requires identity verification meanwhile."""
    with Session(owner_engine, expire_on_commit=False) as db, db.begin():
        customer = Customer(
            company_id=site.tenant.data.company_id, external_id=f"u-{uuid.uuid4().hex[:8]}", name="Ada"
        )
        db.add(customer)
    secret = site.ok("POST", "/v1/companies/me/identity-secret")["identity_secret"]
    site.ok("PATCH", "/v1/companies/me", {"require_identity_verification": True})
    signed = hmac.new(secret.encode(), customer.external_id.encode(), hashlib.sha256).hexdigest()

    def tag(user_hash: str) -> str:
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Account</title></head>"
            "<body><h1>Your account</h1>"
            f"<script src='{site.base_url}/widget.js' data-agent-id='{site.agent_id}'"
            f" data-user-id='{customer.external_id}' data-user-name='Ada Lovelace'"
            f" data-user-hash='{user_hash}'>"
            "</script></body></html>"
        )

    pages = {"/signed": tag(signed).encode(), "/forged": tag("0" * 64).encode()}
    handler = type("AccountPage", (_HostPage,), {"html": b""})
    handler.do_GET = lambda self: _serve(self, pages.get(self.path, b""))  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # an allowed origin (any port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    yield f"{base}/signed", f"{base}/forged", customer
    server.shutdown()
    server.server_close()
    site.ok("PATCH", "/v1/companies/me", {"require_identity_verification": False})


def _serve(handler: BaseHTTPRequestHandler, html: bytes) -> None:
    handler.send_response(200)
    handler.send_header("content-type", "text/html; charset=utf-8")
    handler.send_header("content-length", str(len(html)))
    handler.end_headers()
    handler.wfile.write(html)


def test_a_signed_in_visitor_is_linked_only_with_the_sites_signature(
    site: Site, page: Page, owner_engine: Engine, signed_in_pages: tuple[str, str, Customer]
) -> None:
    signed, forged, customer = signed_in_pages

    def chat(url: str) -> str | None:
        page.goto(url)
        panel = _open(page)
        _ask(panel, "Where is my order?")
        expect(panel.locator(".msg.user").last).to_contain_text("Where is my order?")
        page.wait_for_function(f"localStorage.getItem('buzzi-widget:{site.agent_id}')")  # started
        conversation_id = _saved_conversation(page, site.agent_id)
        page.evaluate("localStorage.clear()")
        with Session(owner_engine) as db:
            conversation = db.get(Conversation, uuid.UUID(conversation_id))
            assert conversation is not None
            return conversation.customer_id

    assert chat(forged) is None  # a made-up hash: an anonymous visitor
    assert chat(signed) == str(customer.id)
    with Session(owner_engine) as db:
        assert db.get(Customer, customer.id).name == "Ada Lovelace"  # type: ignore[union-attr]
