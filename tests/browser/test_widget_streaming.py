"""Streamed answers in a real browser: the widget opens its socket with a one-time ticket, shows the
answer as Claude writes it, ends with the stored reply after a reload mid-stream, and a site that
is not allowed cannot open a socket at all (docs/realtime.md)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from devtools.fake_anthropic import FakeAnthropic, streamed, text_reply, tool_use_reply
from tests.browser.conftest import Site
from tests.browser.test_widget import HOST, RETURNS, _ask, _HostPage, _open, _serve

ANSWER = (
    "Unworn shoes can be returned within thirty days of delivery for a full refund. Print the prepaid "
    "label from your order page, pack the shoes in their box and drop them at any parcel shop [1]."
)
# Every change to the streaming bubble's text, seen from inside the widget's shadow root.
WATCH_PARTIALS = f"""
(() => {{
  window.partials = [];
  const root = document.querySelector('{HOST}').shadowRoot;
  new MutationObserver(() => {{
    const bubble = root.querySelector('[data-streaming="true"]');
    if (bubble) {{
      const text = bubble.textContent;
      if (window.partials[window.partials.length - 1] !== text) window.partials.push(text);
    }}
  }}).observe(root, {{subtree: true, childList: true, characterData: true}});
}})()
"""


@pytest.fixture(scope="module")
def taught(site: Site) -> Site:
    site.teach("shoe-returns.md", RETURNS)
    return site


def _script(claude: FakeAnthropic, tokens_per_second: float) -> None:
    claude.script(
        tool_use_reply("rag_search", {"query": "return shoes"}),
        streamed(text_reply(ANSWER), first_token_delay=0.2, tokens_per_second=tokens_per_second),
    )


def test_a_streamed_answer_appears_word_by_word(
    taught: Site,
    page: Page,
    claude: FakeAnthropic,
) -> None:
    page.goto("/demo")
    panel = _open(page)
    page.evaluate(WATCH_PARTIALS)
    _script(claude, tokens_per_second=40)
    _ask(panel, "Can I send my shoes back?")
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text("drop them at any parcel shop", timeout=20_000)
    expect(panel.locator('[data-streaming="true"]')).to_have_count(0)
    partials = [p for p in page.evaluate("window.partials") if p != "Searching…"]
    assert len(set(partials)) >= 3, partials  # distinct partial renders before the final one
    assert all(len(later) >= len(earlier) for earlier, later in itertools.pairwise(partials)), partials
    expect(answer.get_by_role("link", name="Source 1: shoe-returns.md")).to_have_text(
        "[1]"
    )  # the stored reply
    assert claude.requests[-1].body.get("stream") is True


def test_a_reload_in_the_middle_of_a_stream_ends_with_the_whole_answer(
    taught: Site,
    page: Page,
    claude: FakeAnthropic,
) -> None:
    page.goto("/demo")
    panel = _open(page)
    _script(claude, tokens_per_second=15)  # about four seconds of writing
    _ask(panel, "How do returns work?")
    expect(panel.locator('[data-streaming="true"]')).to_contain_text("Unworn", timeout=10_000)
    page.reload()
    panel = _open(page)
    answer = panel.locator(".msg.bot").filter(has_text="drop them at any parcel shop")
    expect(answer).to_have_count(1, timeout=20_000)
    expect(answer).to_contain_text("Unworn shoes can be returned within thirty days of delivery")
    expect(answer.get_by_role("link", name="Source 1: shoe-returns.md")).to_have_text("[1]")
    expect(panel.locator('[data-streaming="true"]')).to_have_count(0)


@pytest.fixture
def foreign_page() -> Iterator[str]:
    """A page on an origin the demo company did not allow (127.0.0.2)."""
    handler = type("ForeignPage", (_HostPage,), {"html": b""})
    html = (
        b"<!doctype html><html lang='en'><head><title>Elsewhere</title></head><body>Elsewhere</body></html>"
    )
    handler.do_GET = lambda self: _serve(self, html)  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_a_site_that_is_not_allowed_cannot_open_a_socket(site: Site, page: Page, foreign_page: str) -> None:
    """Even with a valid ticket (obtained where the widget is allowed), the socket's Origin decides."""
    origin = f"http://127.0.0.1:{site.port}"
    status, started = site.api(
        "POST", f"/v1/widget/agents/{site.agent_id}/conversations", {}, headers={"Origin": origin}
    )
    assert status == 201, started
    status, ticket = site.api(
        "POST",
        f"/v1/widget/agents/{site.agent_id}/conversation/realtime-ticket",
        token=started["session_token"],
        headers={"Origin": origin},
    )
    assert status == 201, ticket
    page.goto(foreign_page)
    outcome = page.evaluate(
        """([url, ticket]) => new Promise(resolve => {
             const socket = new WebSocket(url, ['buzzi.v1', ticket]);
             socket.onopen = () => resolve('open');
             socket.onerror = () => resolve('refused');
           })""",
        [ticket["url"], ticket["ticket"]],
    )
    assert outcome == "refused"
    assert (
        site.api(
            "POST",
            f"/v1/widget/agents/{site.agent_id}/conversation/realtime-ticket",
            token=started["session_token"],
            headers={"Origin": foreign_page.rstrip("/")},
        )[0]
        == 403
    )
