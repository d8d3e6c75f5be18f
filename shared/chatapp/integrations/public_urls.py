"""Outbound URLs the platform calls for a tenant (webhooks, custom channel callbacks, crawled web
sources): public internet addresses only.

A URL a customer gives us must not make our functions call into our own network (SSRF): loopback,
private (RFC 1918), link-local (the cloud metadata service at 169.254.169.254), carrier-grade NAT
(100.64.0.0/10), unique-local IPv6, multicast, unspecified and reserved addresses are refused.
Host names are resolved and every address they resolve to is checked, at creation and again before
each delivery (DNS can change). The check returns the addresses it approved, and callers connect to
exactly those (`integrations/pinned_http.py`): resolving again at connect time would let a name that
answered with a public address a moment ago answer with 127.0.0.1 now (DNS rebinding).

Two separate permissions widen the rule: plain http (`allow_http`: local development for webhooks,
an admin's explicit choice for a web source) and loopback (`allow_loopback`: development and tests
only, so a test can run a receiver on 127.0.0.1; deployed settings refuse it). Private networks stay
refused everywhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chatapp.errors import InvalidInput

Resolver = Callable[[str, int], list[str]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlNotAllowed(InvalidInput):
    code = "webhook_url_not_allowed"


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed `check_url`, with the addresses that were checked: connect to these."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (A and AAAA)."""
    try:
        infos: list[Any] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UrlNotAllowed(
            f"The host {host!r} does not resolve.", code="webhook_host_unresolvable"
        ) from error
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo): that is where it goes."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
        address = embedded
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    special = (
        address.is_loopback,
        address.is_private,  # RFC 1918, unique-local fc00::/7, and more
        address.is_link_local,  # 169.254.0.0/16 (instance metadata), fe80::/10
        address.is_multicast,
        address.is_unspecified,
        address.is_reserved,
    )
    return address.is_global and not any(special)


def _is_loopback(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_url(
    url: str,
    *,
    allow_http: bool,
    allow_loopback: bool,
    resolver: Resolver = resolve,
    kind: str = "webhook",
) -> CheckedUrl:
    """The URL and its approved addresses, if the platform may call it; else UrlNotAllowed (a 400
    with a clear code). `kind` names the URL in messages and codes (`webhook_url_not_public`,
    `callback_url_not_public`, `source_url_not_public`)."""
    try:
        return _check_url(url, allow_http=allow_http, allow_loopback=allow_loopback, resolver=resolver)
    except UrlNotAllowed as error:
        if kind == "webhook":
            raise
        message = str(error).replace("Webhook URLs", f"{kind.capitalize()} URLs")
        raise UrlNotAllowed(message, code=error.code.replace("webhook_", f"{kind}_", 1)) from error


def _check_url(url: str, *, allow_http: bool, allow_loopback: bool, resolver: Resolver) -> CheckedUrl:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UrlNotAllowed("This is not a valid URL.", code="webhook_url_invalid") from error
    if parts.scheme not in ("http", "https"):
        raise UrlNotAllowed("Webhook URLs must start with https://.", code="webhook_url_scheme")
    if parts.scheme == "http" and not allow_http:
        raise UrlNotAllowed("Webhook URLs must use https.", code="webhook_url_https_required")
    host = parts.hostname
    if not host:
        raise UrlNotAllowed("The URL has no host.", code="webhook_url_invalid")
    if parts.username is not None or parts.password is not None:
        raise UrlNotAllowed(
            "Put credentials in a custom header, not in the URL.", code="webhook_url_credentials"
        )
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
    if not addresses:
        raise UrlNotAllowed(f"The host {host!r} does not resolve.", code="webhook_host_unresolvable")
    for address in addresses:
        if is_public(address) or (allow_loopback and _is_loopback(address)):
            continue
        raise UrlNotAllowed(
            "Webhook URLs must point at a public internet address; "
            f"{host!r} resolves to a private or reserved one.",
            code="webhook_url_not_public",
        )
    return CheckedUrl(
        url=url.strip(),
        scheme=parts.scheme,
        host=host,
        port=port,
        addresses=tuple(dict.fromkeys(str(a) for a in addresses)),
    )
