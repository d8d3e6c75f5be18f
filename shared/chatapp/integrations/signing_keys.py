"""A published set of JWT signing keys (JWKS), fetched on first use and again when a token names a
key id the set does not hold, so a provider's key rotation is picked up without a restart.

Anyone can send a token naming any key id, so a fetch for an unknown one happens at most once per
`refetch_after` seconds: forged tokens cannot turn Buzzi into a client hammering the provider.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class SigningKeys:
    def __init__(self, url: Callable[[], str], *, refetch_after: float = 60.0) -> None:
        # The URL is read on each use: settings may point elsewhere (tests, a sovereign cloud).
        self._url = url
        self._refetch_after = refetch_after
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_from: str | None = None
        self._refetched_at = float("-inf")

    def key(self, key_id: str | None, *, now: float | None = None) -> dict[str, Any] | None:
        """The JWK with `key_id`, or None when the provider does not publish it."""
        moment = time.monotonic() if now is None else now
        url = self._url()
        with self._lock:
            if self._fetched_from != url:
                self._keys, self._fetched_from = _fetch(url), url
            elif key_id not in self._keys and moment - self._refetched_at >= self._refetch_after:
                self._refetched_at = moment  # failed attempts count too: an outage is no excuse
                self._keys = _fetch(url)
            return self._keys.get(key_id or "")


def _fetch(url: str) -> dict[str, dict[str, Any]]:
    import httpx

    response = httpx.get(url, timeout=10.0)
    response.raise_for_status()
    keys = response.json().get("keys", [])
    return {str(key["kid"]): key for key in keys if isinstance(key, dict) and key.get("kid")}
