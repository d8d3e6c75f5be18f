"""Attack: server-side request forgery through a custom channel's `callbackUrl`.

A company connected a custom integration with `callbackUrl` set to an address inside Buzzi's
network (`http://10.0.0.1/`, the instance metadata service at 169.254.169.254, `0.0.0.0`,
loopback) and made the outbound worker POST replies there. The delivery status the inbox showed
(`Your endpoint answered HTTP 404`, `unreachable (ConnectError)`) turned the worker into a port
scanner of the VPC.

Buzzi withstands it: the URL must be https on a public address (`integrations/public_urls.py`;
local development and tests also allow http on loopback), checked at connect, at rotation and
again before every send (DNS can change); redirects are not followed; and the tenant is told only
that its endpoint could not be reached or answered with an error, never the status or the
network error.
"""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine

from chatapp.channels import outbound as channel_outbound
from chatapp.channels.configs import credentials_of
from chatapp.db.enums import ChannelType
from chatapp.integrations.public_urls import UrlNotAllowed
from devtools.fake_platforms import FakePlatforms
from tests.integration.stack import KnowledgeTenant, LocalAws
from tests.security.channel_setup import (
    channel_company,
    connections_of,
    delivery_of,
    seed_connection,
    seed_reply,
)

INTERNAL = [
    "http://10.0.0.1/hook",
    "https://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://[fd00::1]/hook",
    "http://[::ffff:169.254.169.254]/",
    "http://0.0.0.0:8080/",
    "https://100.64.0.1/",
    "ftp://files.example.com/hook",
    "https://user:pass@example.com/hook",
]


def _connect(tenant: KnowledgeTenant, url: str) -> Any:
    return tenant.call(
        "POST",
        "/v1/channels",
        json_body={
            "agent_id": str(tenant.data.agent_id),
            "channel": "custom",
            "credentials": {"callbackUrl": url},
        },
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_internal_callback_urls_are_refused_at_connect_and_rotation(
    owner_engine: Engine, local_aws: LocalAws, platforms: FakePlatforms
) -> None:
    company = channel_company(owner_engine, "SsrfConnect")
    for url in INTERNAL:
        refused = _connect(company, url)
        assert refused.status == 400, f"connect accepted callbackUrl {url}: {refused.body}"
        assert refused.body["error"]["code"].startswith("callback_url_"), refused.body
    assert connections_of(owner_engine, company) == []

    good = f"{platforms.base_url}/custom/callback"  # loopback http: allowed in tests only
    connected = _connect(company, good)
    assert connected.status == 201, connected.body
    for url in INTERNAL:
        rotated = company.call(
            "PUT",
            f"/v1/channels/{connected.body['id']}/credentials",
            json_body={"credentials": {"callbackUrl": url}},
        )
        assert rotated.status == 400, f"rotation accepted callbackUrl {url}: {rotated.body}"
    [stored] = connections_of(owner_engine, company)
    assert credentials_of(stored)["callbackUrl"] == good


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://localhost/", "https://127.0.0.1/"])
def test_loopback_is_refused_outside_development(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from chatapp.channels import credential_checks
    from chatapp.config import get_settings

    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "false")
    get_settings.cache_clear()
    try:
        with pytest.raises(UrlNotAllowed):
            credential_checks.check_callback_url(url)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_callback_url_that_became_internal_is_not_called(
    owner_engine: Engine, local_aws: LocalAws, platforms: FakePlatforms
) -> None:
    """Stored before the check (or its DNS changed since): 0.0.0.0 reaches this host's loopback."""
    company = channel_company(owner_engine, "SsrfSend")
    port = int(platforms.base_url.rsplit(":", 1)[1])
    config = seed_connection(
        owner_engine, company, ChannelType.CUSTOM, {"callbackUrl": f"http://0.0.0.0:{port}/custom/internal"}
    )
    reply = seed_reply(owner_engine, company, config, ChannelType.CUSTOM, {})
    outcome = channel_outbound.deliver(company.data.company_id, reply, final_attempt=True)
    assert platforms.sent("/custom/internal") == [], "the reply was POSTed to an internal address"
    assert outcome == "refused" and delivery_of(owner_engine, reply)["status"] == "failed"


def test_redirects_are_not_followed(
    owner_engine: Engine, local_aws: LocalAws, platforms: FakePlatforms
) -> None:
    inside = FakePlatforms().start()
    try:
        company = channel_company(owner_engine, "SsrfRedirect")
        connected = _connect(company, f"{platforms.base_url}/custom/callback")
        assert connected.status == 201, connected.body
        platforms.fail("/custom/callback", 307, headers={"Location": f"{inside.base_url}/latest/meta-data/"})
        reply = seed_reply(owner_engine, company, uuid.UUID(connected.body["id"]), ChannelType.CUSTOM, {})
        outcome = channel_outbound.deliver(company.data.company_id, reply, final_attempt=True)
        assert inside.requests == [], "the redirect was followed"
        assert outcome != "sent" and delivery_of(owner_engine, reply)["status"] == "failed", outcome
    finally:
        inside.stop()


def test_delivery_failures_carry_no_network_detail(
    owner_engine: Engine, local_aws: LocalAws, platforms: FakePlatforms
) -> None:
    company = channel_company(owner_engine, "SsrfOracle")
    answering = _connect(company, f"{platforms.base_url}/custom/callback")
    closed = _connect(company, f"http://127.0.0.1:{_closed_port()}/hook")
    assert answering.status == 201 and closed.status == 201, (answering.body, closed.body)

    reasons = []
    for status in (404, 401, 500):
        platforms.fail("/custom/callback", status)
        reply = seed_reply(owner_engine, company, uuid.UUID(answering.body["id"]), ChannelType.CUSTOM, {})
        channel_outbound.deliver(company.data.company_id, reply, final_attempt=True)
        reasons.append(delivery_of(owner_engine, reply)["error"])
    reply = seed_reply(owner_engine, company, uuid.UUID(closed.body["id"]), ChannelType.CUSTOM, {})
    channel_outbound.deliver(company.data.company_id, reply, final_attempt=True)
    reasons.append(delivery_of(owner_engine, reply)["error"])
    channels = company.call("GET", "/v1/channels").body
    reasons += [channel["last_error"] for channel in channels if channel["last_error"]]

    for reason in reasons:
        for detail in ("HTTP", "404", "401", "500", "Error", "refused", "timed out"):
            assert detail not in reason, f"the tenant sees {reason!r}"
    assert reasons[0] == "Your endpoint answered with an error."
    assert reasons[3].startswith("Your endpoint could not be reached.")
