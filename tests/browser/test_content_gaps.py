"""The content-gaps screen in a real browser: customers' unsure answers clustered into a topic by
the nightly job, turned into a draft article, edited and published into a category
(docs/content-gaps.md)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from chatapp.quality import content_gaps
from tests.browser.conftest import Site
from tests.browser.test_console import _sign_in
from tests.browser.test_widget import RETURNS

GIFT_CARDS = ["Can I pay with a gift card?", "Do you accept gift vouchers?", "gift card payment possible?"]


def _customer_asks(site: Site, question: str) -> None:
    origin = {"Origin": f"http://127.0.0.1:{site.port}"}
    base = f"/v1/widget/agents/{site.agent_id}"
    status, started = site.api("POST", f"{base}/conversations", {}, headers=origin)
    assert status == 201, started
    status, sent = site.api(
        "POST",
        f"{base}/conversation/messages",
        {"content": question},
        token=started["session_token"],
        headers=origin,
    )
    assert status in (200, 201), sent


def test_an_admin_turns_a_gap_into_a_published_article(site: Site, page: Page) -> None:
    site.teach("store-returns.md", RETURNS)  # the site is shared: a name of its own
    for question in GIFT_CARDS:
        _customer_asks(site, question)
    content_gaps.refresh(company_id=site.tenant.data.company_id)  # the nightly job's step

    _sign_in(page, site, "/content-gaps")
    # The fixture's conversations were rated poorly: theirs is the other topic.
    topics = page.get_by_role("list", name="Topics").locator("> li")
    expect(topics).to_have_count(2)
    topic = topics.filter(has_text=GIFT_CARDS[1])
    expect(topic.get_by_role("heading")).to_contain_text("3 questions")
    for question in GIFT_CARDS:
        expect(topic.get_by_role("list", name="Example questions")).to_contain_text(question)
    expect(topic).to_contain_text("3 low confidence")
    expect(topic).to_contain_text("store-returns.md")  # the nearest the knowledge base had

    topic.get_by_role("button", name="Write an article").click()
    expect(page.get_by_role("status").filter(has_text="written from the template")).to_be_visible()
    editor = page.get_by_role("region", name="Draft article")
    assert "Can I pay with a gift card?" in editor.get_by_label("Article (Markdown)").input_value()
    editor.get_by_label("Title").fill("Gift cards")
    editor.get_by_label("Article (Markdown)").fill("# Gift cards\n\nEnter the card's code under Payment.")
    editor.get_by_label("Category").select_option(label="Help store-returns.md")
    editor.get_by_role("button", name="Publish").click()
    published = page.get_by_role("region", name="Published article")
    expect(published.get_by_role("status").filter(has_text="Published")).to_be_visible()
    drafts = page.get_by_role("region", name="Drafts")
    expect(
        drafts.get_by_role("listitem")
        .filter(has=page.get_by_role("button", name="Gift cards", exact=True))
        .locator(".badge")
    ).to_have_text("published")

    page.goto(f"http://127.0.0.1:{site.port}/console/knowledge")
    page.get_by_role("complementary", name="Categories").get_by_role(
        "button", name="Help store-returns.md"
    ).click()
    expect(page.get_by_role("cell", name="gift-cards.md")).to_be_visible()
