"""The copilot panel in a real browser (docs/copilot.md): a suggested reply appears when a person
opens a conversation handed to them, with the passages it rests on; the customer sees it only once
it is sent, and the use is counted."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.test_console import _sign_in
from tests.browser.test_widget import RETURNS


def _customer_asks_for_a_person(site: Site, question: str) -> tuple[str, str]:
    origin = {"Origin": f"http://127.0.0.1:{site.port}"}
    base = f"/v1/widget/agents/{site.agent_id}"
    status, started = site.api("POST", f"{base}/conversations", {}, headers=origin)
    assert status == 201, started
    token = started["session_token"]
    status, sent = site.api(
        "POST", f"{base}/conversation/messages", {"content": question}, token=token, headers=origin
    )
    assert status in (200, 201), sent
    status, handed = site.api("POST", f"{base}/conversation/handover", {}, token=token, headers=origin)
    assert status == 200, handed
    return started["conversation_id"], token


def test_a_person_sends_the_copilots_suggestion_and_it_is_counted(site: Site, page: Page) -> None:
    site.teach("copilot-returns.md", RETURNS)  # the site is shared: a name of its own
    before = site.ok("GET", "/v1/analytics/copilot")["sent_as_is"]
    conversation, token = _customer_asks_for_a_person(site, "How do I return shoes I do not want?")

    _sign_in(page, site, f"/inbox/{conversation}")
    copilot = page.get_by_role("region", name="Suggested reply")
    expect(copilot).to_contain_text("Offline suggestion", timeout=10_000)
    expect(copilot).to_contain_text("copilot-returns.md")
    copilot.get_by_text("copilot-returns.md").first.click()  # opens the passage
    expect(copilot.locator("details[open]")).to_have_count(1)
    rewrite = page.get_by_role("group", name="Rewrite the reply")
    expect(rewrite.get_by_role("button", name="Shorten")).to_be_disabled()  # offline: no model

    origin = {"Origin": f"http://127.0.0.1:{site.port}"}
    widget_messages = f"/v1/widget/agents/{site.agent_id}/conversation/messages"
    shown = site.ok("GET", widget_messages, token=token, headers=origin)["messages"]
    assert not any(m["content"].startswith("Offline suggestion") for m in shown)

    copilot.get_by_role("button", name="Use this reply").click()
    reply = page.get_by_label("Reply to the customer")
    expect(reply).to_have_value(copilot.locator("p.message-body").first.inner_text())
    page.get_by_role("form", name="Reply").get_by_role("button", name="Send").click()
    thread = page.get_by_role("list", name="Messages")
    expect(thread).to_contain_text("Offline suggestion")

    shown = site.ok("GET", widget_messages, token=token, headers=origin)["messages"]
    assert any(m["content"].startswith("Offline suggestion") for m in shown)
    assert site.ok("GET", "/v1/analytics/copilot")["sent_as_is"] == before + 1
    page.goto(f"http://127.0.0.1:{site.port}/console/analytics")
    report = page.get_by_role("list", name="Copilot")
    expect(report.get_by_role("listitem").filter(has_text="Sent as suggested")).to_contain_text(
        str(before + 1)
    )
    expect(report).to_contain_text("Acceptance rate")
