"""Which web pages may embed a company's widget: `allowed_domains` rules and `Origin` matching.

A rule is one of
    example.com             https://example.com (any port)
    *.example.com           any subdomain of example.com over https (not example.com itself)
    https://shop.example.com:8443 or http://localhost:5173
                            exactly that origin
Plain-host rules accept only https, except for loopback hosts (localhost, 127.0.0.1), which are
development pages. An empty list allows no page at all: a widget is not embeddable anywhere until
its company says where.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_HOST = re.compile(r"^(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+$")
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]"}


def normalise_domain_rule(rule: str) -> str:
    """A rule in canonical form, or ValueError with a message fit for a 400 response."""
    value = rule.strip().lower().rstrip("/")
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            raise ValueError(f"{rule!r} is not an origin like https://shop.example.com")
        return f"{parts.scheme}://{parts.netloc}"
    if not _HOST.match(value) or len(value) > 253:
        raise ValueError(f"{rule!r} is not a domain like example.com or *.example.com")
    return value


def origin_allowed(origin: str | None, rules: list[str]) -> bool:
    if not origin:
        return False
    parts = urlsplit(origin.strip().lower())
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return False
    exact = f"{parts.scheme}://{parts.netloc}"
    secure = parts.scheme == "https" or host in _LOOPBACK
    for rule in rules:
        if "://" in rule:
            if rule == exact:
                return True
        elif rule.startswith("*."):
            if secure and host.endswith(rule[1:]):
                return True
        elif secure and host == rule:
            return True
    return False
