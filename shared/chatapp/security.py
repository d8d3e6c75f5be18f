"""Opaque bearer tokens: generated with `secrets`, stored only as SHA-256 digests.

The tokens carry 256 bits of randomness, so a fast digest is safe to store and compare
(no salt or slow hash needed, unlike passwords); a leaked table reveals no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum


class TokenKind(StrEnum):
    SESSION = "bzs"
    API_KEY = "bzk"
    VERIFICATION = "bzv"
    WIDGET = "bzw"  # a widget visitor's conversation session
    REALTIME_TICKET = "bzt"  # one WebSocket connect (chatapp.realtime.tickets)


def new_token(kind: TokenKind) -> str:
    return f"{kind.value}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_kind(token: str) -> TokenKind | None:
    prefix, _, rest = token.partition("_")
    if not rest:
        return None
    try:
        return TokenKind(prefix)
    except ValueError:
        return None


def display_prefix(token: str) -> str:
    """The first characters of a key, shown in the console so people can tell keys apart."""
    return token[:10]


def same_text(expected: str, given: str) -> bool:
    """Constant-time equality of two texts, whatever characters `given` holds: `hmac.compare_digest`
    refuses str with non-ASCII characters (TypeError), so both are compared as UTF-8 bytes."""
    return hmac.compare_digest(expected.encode(), given.encode())
