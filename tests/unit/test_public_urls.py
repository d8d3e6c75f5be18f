"""Outbound webhook URLs: public internet addresses only (literal IPs, so no DNS is needed)."""

from __future__ import annotations

import pytest

from chatapp.integrations.public_urls import UrlNotAllowed, check_url

REFUSED_ANYWHERE = [
    "https://10.0.0.5/hook",  # RFC 1918
    "https://172.16.3.4/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",  # link-local: instance metadata
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://[fd00::1]/hook",  # unique-local IPv6
    "https://[fe80::1]/hook",  # link-local IPv6
    "https://224.0.0.1/hook",  # multicast
    "https://[ff02::1]/hook",
    "https://0.0.0.0/hook",  # unspecified
    "https://[::]/hook",
    "https://240.0.0.1/hook",  # reserved
    "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
]
LOOPBACK = [
    "http://127.0.0.1:8080/hook",
    "https://127.0.0.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/",
]


def _no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"literal IPs need no DNS ({host}:{port})")


@pytest.mark.parametrize("url", REFUSED_ANYWHERE)
@pytest.mark.parametrize("local", [False, True])
def test_private_and_special_addresses_are_refused(url: str, local: bool) -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        check_url(url, allow_http=local, allow_loopback=local, resolver=_no_dns)
    assert refused.value.code == "webhook_url_not_public"


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_refused_outside_local_development(url: str) -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        check_url(url, allow_http=False, allow_loopback=False, resolver=_no_dns)
    assert refused.value.code in {"webhook_url_not_public", "webhook_url_https_required"}


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_allowed_locally(url: str) -> None:
    assert check_url(url, allow_http=True, allow_loopback=True, resolver=_no_dns).url == url


def test_public_addresses_pass() -> None:
    assert check_url("https://93.184.216.34/hook", allow_http=False, allow_loopback=False, resolver=_no_dns)
    assert check_url(
        "https://[2606:4700:4700::1111]/hook", allow_http=False, allow_loopback=False, resolver=_no_dns
    )


def test_https_is_required_outside_local_development() -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        check_url("http://93.184.216.34/hook", allow_http=False, allow_loopback=False, resolver=_no_dns)
    assert refused.value.code == "webhook_url_https_required"
    assert check_url("http://93.184.216.34/hook", allow_http=True, allow_loopback=True, resolver=_no_dns)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://93.184.216.34/x", "webhook_url_scheme"),
        ("file:///etc/passwd", "webhook_url_scheme"),
        ("https:///nohost", "webhook_url_invalid"),
        ("https://user:pw@93.184.216.34/x", "webhook_url_credentials"),
        ("https://93.184.216.34:99999/x", "webhook_url_invalid"),
    ],
)
def test_malformed_urls_are_refused(url: str, code: str) -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        check_url(url, allow_http=False, allow_loopback=False, resolver=_no_dns)
    assert refused.value.code == code


def test_every_resolved_address_is_checked() -> None:
    def mixed(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.example.com", 443)
        return ["93.184.216.34", "10.1.2.3"]  # one private answer is enough to refuse

    with pytest.raises(UrlNotAllowed):
        check_url("https://hooks.example.com/x", allow_http=False, allow_loopback=False, resolver=mixed)
    assert check_url(
        "https://hooks.example.com/x",
        allow_http=False,
        allow_loopback=False,
        resolver=lambda h, p: ["93.184.216.34", "2606:4700::1"],
    )


def test_unresolvable_hosts_are_refused() -> None:
    with pytest.raises(UrlNotAllowed) as refused:
        check_url(
            "https://hooks.example.com/x", allow_http=False, allow_loopback=False, resolver=lambda h, p: []
        )
    assert refused.value.code == "webhook_host_unresolvable"


def test_plain_http_and_loopback_are_separate_permissions() -> None:
    # http to a public address, loopback refused: an admin's "allow http" never opens this host.
    assert check_url("http://93.184.216.34/x", allow_http=True, allow_loopback=False, resolver=_no_dns)
    with pytest.raises(UrlNotAllowed) as refused:
        check_url("http://127.0.0.1:8080/x", allow_http=True, allow_loopback=False, resolver=_no_dns)
    assert refused.value.code == "webhook_url_not_public"
    # loopback allowed (tests), http not: https to loopback passes, http does not.
    assert check_url("https://127.0.0.1:8443/x", allow_http=False, allow_loopback=True, resolver=_no_dns)
    with pytest.raises(UrlNotAllowed) as refused:
        check_url("http://127.0.0.1:8080/x", allow_http=False, allow_loopback=True, resolver=_no_dns)
    assert refused.value.code == "webhook_url_https_required"


def test_the_checked_addresses_are_returned_for_pinning() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding resolver: public first, then loopback
    checked = check_url(
        "https://docs.example.com:8443/a?b=1",
        allow_http=False,
        allow_loopback=False,
        resolver=lambda h, p: next(answers),
    )
    assert (checked.host, checked.port, checked.addresses) == ("docs.example.com", 8443, ("93.184.216.34",))

    from chatapp.integrations.pinned_http import pinned_request_parts

    url, host, extensions = pinned_request_parts(checked)
    # The connection goes to the address that was checked, whatever DNS says next; the name
    # travels in Host and as TLS SNI, against which the certificate is verified.
    assert url == "https://93.184.216.34:8443/a?b=1"
    assert host == {"Host": "docs.example.com:8443"}
    assert extensions == {"sni_hostname": "docs.example.com"}


def test_pinning_an_ipv6_address() -> None:
    checked = check_url(
        "http://docs.example.com/x",
        allow_http=True,
        allow_loopback=False,
        resolver=lambda h, p: ["2606:4700::1"],
    )
    from chatapp.integrations.pinned_http import pinned_request_parts

    url, host, extensions = pinned_request_parts(checked)
    assert (url, host, extensions) == ("http://[2606:4700::1]/x", {"Host": "docs.example.com"}, {})
