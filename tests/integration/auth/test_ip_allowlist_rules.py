"""The IP allowlist rule itself (no database): addresses, networks, IPv6, and failing closed."""

from __future__ import annotations

import pytest

from chatapp.identity.authentication import ip_allowed


@pytest.mark.parametrize(
    ("allowlist", "client_ip", "allowed"),
    [
        (None, None, True),
        ([], "203.0.113.9", True),
        (["203.0.113.9"], "203.0.113.9", True),
        (["203.0.113.0/24"], "203.0.113.200", True),
        (["203.0.113.0/24"], "203.0.114.1", False),
        (["2001:db8::/32"], "2001:db8::42", True),
        (["203.0.113.0/24"], "::ffff:203.0.113.5", True),  # IPv4-mapped IPv6
        (["2001:db8::/32"], "203.0.113.5", False),
        (["not an address", "198.51.100.0/24"], "198.51.100.7", True),
        (["not an address"], "198.51.100.7", False),
        (["203.0.113.0/24"], None, False),  # unknown caller: refused, not waved through
        (["203.0.113.0/24"], "unknown", False),
    ],
)
def test_ip_allowed(allowlist: list[str] | None, client_ip: str | None, allowed: bool) -> None:
    assert ip_allowed(allowlist, client_ip) is allowed
