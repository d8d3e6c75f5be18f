from __future__ import annotations

import pytest

from chatapp.agents.origins import normalise_domain_rule, origin_allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://shop.example.com", True),
        ("http://shop.example.com", False),  # plain-host rules are https only
        ("https://evil-shop.example.com", False),
        ("https://shop.example.com.evil.net", False),
        ("https://a.example.org", True),
        ("https://a.b.example.org", True),
        ("https://example.org", False),  # *.example.org is subdomains only
        ("https://notexample.org", False),
        ("http://localhost:5173", True),
        ("http://localhost:5174", False),
        ("null", False),
        ("", False),
        (None, False),
    ],
)
def test_origins_match_rules_exactly(origin: str | None, allowed: bool) -> None:
    rules = [
        normalise_domain_rule(r) for r in ("Shop.Example.com", "*.example.org", "http://localhost:5173/")
    ]
    assert origin_allowed(origin, rules) is allowed


def test_loopback_pages_may_use_http_with_a_plain_host_rule() -> None:
    assert origin_allowed("http://127.0.0.1:3000", ["127.0.0.1"])
    assert not origin_allowed("http://shop.example.com", ["shop.example.com"])


@pytest.mark.parametrize("rule", ["ftp://x.com", "https://x.com/path", "exa mple.com", "*", "x.com:abc"])
def test_malformed_rules_are_refused(rule: str) -> None:
    with pytest.raises(ValueError):
        normalise_domain_rule(rule)
