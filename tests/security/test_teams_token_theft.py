"""Attack: company B steals company A's Microsoft Teams bot token.

B connects Teams with A's `appId` and a password of its own, then posts an activity (with a JWT
for A's app it captured) whose `serviceUrl` is B's own host. A warm worker that cached A's Bot
Framework access token by app id alone posted it, in the `Authorization` header, to B's host.

Buzzi withstands it three ways: the token cache is keyed by company, app id and a digest of the
password (B's connection asks for its own token, which Bot Framework refuses); the JWT's
`serviceurl` claim must equal the activity's `serviceUrl`; and replies go only to Bot Framework
hosts (`TEAMS_SERVICE_HOSTS`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine

from chatapp.channels import outbound
from chatapp.db.enums import ChannelType
from devtools.fake_platforms import FakePlatforms
from tests.integration.stack import LocalAws
from tests.security.channel_setup import (
    bot_framework_key,
    channel_company,
    connect_teams,
    delivery_of,
    drop_queued,
    post_activity,
    seed_connection,
    seed_reply,
    teams_activity,
    teams_bearer,
)


@pytest.fixture
def signing_key(platforms: FakePlatforms) -> rsa.RSAPrivateKey:
    """Bot Framework's signing key: the fake publishes it, tests sign activities with it."""
    return bot_framework_key(platforms)


@pytest.fixture
def attacker() -> Iterator[FakePlatforms]:
    """Company B's own host: it records whatever reaches it."""
    fake = FakePlatforms().start()
    yield fake
    fake.stop()


def test_a_connection_borrowing_another_companys_app_id_never_gets_its_token(
    owner_engine: Engine, local_aws: LocalAws, platforms: FakePlatforms
) -> None:
    app_id = f"victim-app-{uuid.uuid4().hex[:8]}"
    platforms.register("victim-password", app_id)
    victim, thief = channel_company(owner_engine, "TeamsVictim"), channel_company(owner_engine, "TeamsThief")
    victim_config = seed_connection(
        owner_engine, victim, ChannelType.TEAMS, {"appId": app_id, "appPassword": "victim-password"}
    )
    thief_config = seed_connection(
        owner_engine, thief, ChannelType.TEAMS, {"appId": app_id, "appPassword": "thief-password"}
    )
    service_url = f"{platforms.base_url}/teams/service"

    victim_reply = seed_reply(
        owner_engine,
        victim,
        victim_config,
        ChannelType.TEAMS,
        {"serviceUrl": service_url, "conversationId": "a:victim"},
    )
    assert outbound.deliver(victim.data.company_id, victim_reply) == "sent"  # the cache is warm now
    [victim_send] = platforms.sent("/v3/conversations/a:victim/activities")
    victim_token = victim_send.headers["authorization"]

    thief_reply = seed_reply(
        owner_engine,
        thief,
        thief_config,
        ChannelType.TEAMS,
        {"serviceUrl": service_url, "conversationId": "a:thief"},
    )
    outcome = outbound.deliver(thief.data.company_id, thief_reply, final_attempt=True)
    leaked = [r.path for r in platforms.requests if r.headers.get("authorization") == victim_token]
    assert leaked == [victim_send.path], (
        f"company B's reply carried company A's Bot Framework token: {leaked}"
    )
    assert outcome == "credentials_rejected", outcome  # B asked for its own token; Bot Framework said no
    assert delivery_of(owner_engine, thief_reply)["status"] == "failed"


def test_a_token_for_another_service_url_is_rejected(
    owner_engine: Engine,
    local_aws: LocalAws,
    platforms: FakePlatforms,
    signing_key: rsa.RSAPrivateKey,
    attacker: FakePlatforms,
) -> None:
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    platforms.register("pw", app_id)
    company = channel_company(owner_engine, "TeamsClaims")
    connection = connect_teams(company, app_id, "pw")
    genuine = f"{platforms.base_url}/teams/service"
    evil = f"{attacker.base_url}/teams/service"

    captured = teams_bearer(signing_key, app_id, genuine)  # a real token, issued for Bot Framework's host
    status = post_activity(company, connection, teams_activity(evil), captured)
    assert status == 401, f"an activity for {evil} was accepted with a token issued for {genuine}"
    assert (
        post_activity(company, connection, teams_activity(genuine), teams_bearer(signing_key, app_id, None))
        == 401
    ), "a token without a serviceurl claim was accepted"
    assert post_activity(company, connection, teams_activity(genuine), captured) == 200  # the genuine one
    drop_queued(local_aws.sources.queue_urls["ChannelInboundQueue"])


def test_replies_never_go_to_a_host_outside_bot_framework(
    owner_engine: Engine,
    local_aws: LocalAws,
    platforms: FakePlatforms,
    signing_key: rsa.RSAPrivateKey,
    attacker: FakePlatforms,
) -> None:
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    platforms.register("pw", app_id)
    company = channel_company(owner_engine, "TeamsHosts")
    connection = connect_teams(company, app_id, "pw")
    evil = f"{attacker.base_url}/teams/service"

    # Even a token naming the same host is not enough: only Bot Framework's hosts are served.
    assert (
        post_activity(company, connection, teams_activity(evil), teams_bearer(signing_key, app_id, evil))
        == 401
    )

    # A conversation that already points elsewhere (stored before the check) is not answered there.
    config_id = uuid.UUID(connection["id"])
    for service_url in (
        evil,
        "http://169.254.169.254/latest",
        "https://smba.trafficmanager.net.evil.example/",
    ):
        reply = seed_reply(
            owner_engine,
            company,
            config_id,
            ChannelType.TEAMS,
            {"serviceUrl": service_url, "conversationId": "a:x"},
        )
        outcome = outbound.deliver(company.data.company_id, reply, final_attempt=True)
        assert outcome in ("refused", "failed"), (service_url, outcome)
        assert delivery_of(owner_engine, reply)["status"] == "failed"
    assert attacker.requests == [], [r.path for r in attacker.requests]
