"""HTTP requests to a tenant-given URL, connected to exactly the address `check_url` approved.

httpx would resolve the host again when it connects, and a name can answer with a public address
for the check and with 127.0.0.1 or 169.254.169.254 a moment later (DNS rebinding). So the request
goes to the checked IP address itself; the `Host` header carries the real name, and for https the
TLS handshake sends it as SNI and verifies the certificate against it (httpcore's `sni_hostname`),
so pinning costs no security on the TLS side.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from chatapp.integrations.public_urls import CheckedUrl

if TYPE_CHECKING:
    import httpx


def _netloc(address: str, port: int, scheme: str) -> str:
    host = f"[{address}]" if isinstance(ipaddress.ip_address(address), ipaddress.IPv6Address) else address
    default = 443 if scheme == "https" else 80
    return host if port == default else f"{host}:{port}"


def pinned_request_parts(checked: CheckedUrl) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(URL with the checked address as its host, the Host header, the request extensions)."""
    parts = urlsplit(checked.url)
    host_header = checked.host if parts.port is None else f"{checked.host}:{parts.port}"
    if ":" in checked.host and not checked.host.startswith("["):
        host_header = f"[{checked.host}]" if parts.port is None else f"[{checked.host}]:{parts.port}"
    pinned = urlunsplit(
        (
            parts.scheme,
            _netloc(checked.addresses[0], checked.port, parts.scheme),
            parts.path or "/",
            parts.query,
            "",
        )
    )
    extensions: dict[str, Any] = {"sni_hostname": checked.host} if parts.scheme == "https" else {}
    return pinned, {"Host": host_header}, extensions


@contextmanager
def pinned_stream(
    client: httpx.Client,
    method: str,
    checked: CheckedUrl,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> Iterator[httpx.Response]:
    """`client.stream(...)` to `checked`, connected to its first approved address. The client must
    not follow redirects: each hop is checked and pinned by the caller."""
    url, host, extensions = pinned_request_parts(checked)
    with client.stream(
        method, url, headers={**(headers or {}), **host}, content=content, extensions=extensions
    ) as response:
        yield response
