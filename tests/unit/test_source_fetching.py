"""The crawler's fetcher against a loopback site: its limits (redirects, size, content types) and
sitemap indexes, each with the reason a person reads on the sync's page list."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

from chatapp.knowledge.sources.connector import SourceItem, VisitFailed
from chatapp.knowledge.sources.fetching import HTML_TYPES, MAX_BYTES, Fetcher
from chatapp.knowledge.sources.web import WebSource
from devtools.fake_site import FakeSite, page, sitemap, sitemap_index


@pytest.fixture
def site() -> Iterator[FakeSite]:
    fake = FakeSite().start()
    yield fake
    fake.stop()


def _fetcher() -> Fetcher:
    return Fetcher(allow_http=True, allow_loopback=True)


def test_more_than_five_redirects_are_not_followed(site: FakeSite) -> None:
    for hop in range(7):
        site.redirects[f"/r{hop}"] = f"/r{hop + 1}"
    site.pages["/r7"] = page("End", "<p>end</p>")
    with pytest.raises(VisitFailed, match="more than 5 redirects"):
        _fetcher().get(f"{site.url}/r0", accept=HTML_TYPES)
    site.redirects["/short"] = "/r3"  # five hops to /r7 (r3 -> r4 -> r5 -> r6 -> r7, after /short)
    assert _fetcher().get(f"{site.url}/short", accept=HTML_TYPES).url == f"{site.url}/r7"


def test_a_page_over_5_mb_and_an_unread_content_type_are_refused(site: FakeSite) -> None:
    site.pages["/huge"] = "<p>" + "x" * (MAX_BYTES + 10) + "</p>"
    with pytest.raises(VisitFailed, match="larger than 5 MB"):
        _fetcher().get(f"{site.url}/huge", accept=HTML_TYPES)
    site.sitemaps["/feed.xml"] = "<rss/>"
    with pytest.raises(VisitFailed, match="content type application/xml is not one we read"):
        _fetcher().get(f"{site.url}/feed.xml", accept=HTML_TYPES)


def test_sitemap_indexes_name_sitemaps_and_sitemaps_name_pages_on_the_host(site: FakeSite) -> None:
    site.sitemaps["/sitemap.xml"] = sitemap_index([f"{site.url}/a.xml", "https://elsewhere.example/b.xml"])
    site.sitemaps["/a.xml"] = sitemap(
        [f"{site.url}/help/1", f"{site.url}/help/2?x=1&amp;y=2", "https://elsewhere.example/p"]
    )
    web = WebSource(f"{site.url}/sitemap.xml", _fetcher(), {"robots_mode": "allow_all"})
    index = web.visit(SourceItem(f"{site.url}/sitemap.xml", "listing"), None)
    assert [(i.key, i.kind) for i in index.items] == [(f"{site.url}/a.xml", "listing")]
    pages = web.visit(SourceItem(f"{site.url}/a.xml", "listing"), None)
    assert [(i.key, i.kind) for i in pages.items] == [
        (f"{site.url}/help/1", "page"),
        (f"{site.url}/help/2?x=1&y=2", "page"),
    ]


def test_a_gzip_bomb_sitemap_is_refused_by_its_unpacked_size(site: FakeSite) -> None:
    from chatapp.knowledge.sources import web

    with pytest.raises(VisitFailed, match="larger than 5 MB unpacked"):
        web._gunzip(gzip.compress(b"<url>" * (MAX_BYTES // 4)))
