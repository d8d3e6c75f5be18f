"""DNS TXT look-ups (dnspython), for proving control of a custom domain.

The resolver is the system's, or the `dns_nameservers` setting ("host" or "host:port"), which tests
point at a local fake server. Nothing is cached: a record created a minute ago must be seen now.
dnspython is imported on first use, so functions that never look anything up never load it.
"""

from __future__ import annotations

from typing import Any

from chatapp.config import get_settings

LOOKUP_SECONDS = 5.0


class DnsLookupFailed(RuntimeError):
    """No answer could be had (timeout, no usable nameserver): not the same as "no such record"."""


def _nameserver(entry: str) -> Any:
    import dns.nameserver

    host, port = entry, 53
    if entry.startswith("["):  # [::1]:5353
        host, _, rest = entry[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
        port = int(port_text)
    return dns.nameserver.Do53Nameserver(host, port)


def _resolver() -> Any:
    import dns.resolver

    configured = get_settings().dns_nameservers
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        resolver.nameservers = [_nameserver(entry) for entry in configured]
    resolver.lifetime = LOOKUP_SECONDS
    resolver.timeout = LOOKUP_SECONDS / 2
    resolver.cache = None
    return resolver


def txt_values(name: str) -> list[str]:
    """The TXT strings published at `name` (each record's character strings joined); [] when the
    name or the record does not exist. Raises DnsLookupFailed when DNS gave no usable answer."""
    import dns.exception
    import dns.resolver

    try:
        answer = _resolver().resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers, dns.resolver.NoResolverConfiguration) as error:
        raise DnsLookupFailed(type(error).__name__) from None
    except ValueError as error:  # a malformed nameserver setting
        raise DnsLookupFailed(type(error).__name__) from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]
