"""The JWKS cache: fetched on first use, again for an unknown key id at most once a minute, and
again whenever the configured URL changes. A loopback server stands in for the provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from chatapp.integrations.signing_keys import SigningKeys


class Provider:
    def __init__(self) -> None:
        self.kids = ["a"]
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                body = json.dumps({"keys": [{"kid": kid, "kty": "RSA"} for kid in provider.kids]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/keys"


@pytest.fixture
def provider() -> Iterator[Provider]:
    served = Provider()
    yield served
    served.server.shutdown()


def test_unknown_key_ids_refetch_at_most_once_a_minute(provider: Provider) -> None:
    keys = SigningKeys(lambda: provider.url)
    assert keys.key("a", now=0)["kid"] == "a"
    assert keys.key("a", now=1) is not None and provider.fetches == 1  # a known id never refetches
    provider.kids = ["b"]  # rotation
    assert keys.key("b", now=10)["kid"] == "b" and provider.fetches == 2
    assert keys.key("forged", now=20) is None and keys.key("forged", now=69) is None
    assert provider.fetches == 2  # within the minute since the last fetch
    assert keys.key("forged", now=71) is None and provider.fetches == 3


def test_a_new_url_is_fetched_at_once(provider: Provider) -> None:
    url = [provider.url]
    keys = SigningKeys(lambda: url[0])
    assert keys.key("a", now=0) is not None
    other = Provider()
    other.kids = ["z"]
    url[0] = other.url
    assert keys.key("z", now=1) is not None and other.fetches == 1
    other.server.shutdown()
