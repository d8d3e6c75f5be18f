"""The web sources screen in a real browser: an admin adds a website, watches its first sync's
progress move without reloading, and reads why a page was left out (docs/knowledge-sources.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from devtools.fake_site import FakeSite
from devtools.fake_site import page as site_page
from tests.browser.conftest import Site
from tests.browser.test_console import _sign_in
from tests.integration.knowledge.sources import allow_web_sources


@pytest.fixture
def help_site() -> Iterator[FakeSite]:
    fake = FakeSite(delay_seconds=0.4).start()  # slow enough to watch the sync move
    fake.robots = "User-agent: *\nDisallow: /internal/\n"
    links = (*(f"/help/{n}" for n in range(6)), "/internal/notes")
    fake.pages["/help/"] = site_page("Help", "<p>Guides for every question.</p>", links=links)
    for n in range(6):
        fake.pages[f"/help/{n}"] = site_page(
            f"Guide {n}", f"<p>Guide number {n} explains one thing well.</p>"
        )
    fake.pages["/internal/notes"] = site_page("Notes", "<p>Internal.</p>")
    yield fake
    fake.stop()


def test_an_admin_adds_a_site_and_follows_its_sync(
    site: Site, page: Page, help_site: FakeSite, owner_engine: Engine
) -> None:
    allow_web_sources(owner_engine, site.tenant)
    _sign_in(page, site, "/knowledge/sources")
    form = page.get_by_role("form", name="Add a source")
    form.get_by_label("Name").fill("Help site")
    form.get_by_label("Start page or sitemap URL").fill(f"{help_site.url}/help/")
    form.get_by_label("Category").select_option(label="FAQ")
    form.get_by_label("Re-sync").select_option(label="Daily")
    form.get_by_label("Also fetch plain http:// pages").check()
    form.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("status").filter(has_text="its first sync has started")).to_be_visible()

    card = page.get_by_role("list", name="Sources").get_by_role("listitem", name="Help site", exact=True)
    expect(card.get_by_text("running")).to_be_visible()
    progress = card.get_by_role("progressbar", name="Pages read")
    expect(progress).to_be_visible()
    # The counts move while the sync runs, without a reload, and settle when it completes.
    stats = card.get_by_label("Pages")
    expect(card.get_by_text("completed")).to_be_visible(timeout=30_000)
    expect(progress).to_have_count(0)
    expect(stats.locator(".stat").filter(has_text="new")).to_contain_text("7")
    expect(stats.locator(".stat").filter(has_text="skipped")).to_contain_text("1")
    expect(card).to_contain_text("7 pages kept")

    card.get_by_role("button", name="Show failed and skipped pages").click()
    problems = card.get_by_role("table", name="Failed and skipped pages")
    expect(problems.get_by_role("row").filter(has_text="/internal/notes")).to_contain_text(
        "robots.txt disallows it"
    )
    expect(problems.get_by_role("row").filter(has_text=f"{help_site.url}/")).to_have_count(
        2
    )  # + the site root
