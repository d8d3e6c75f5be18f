"""Attack surface: Bot Framework's signing keys, cached forever.

Buzzi fetched Bot Framework's signing keys once per warm container (`lru_cache`) and kept them for
its life. When Microsoft rotated its keys, every genuine activity signed with the new key was
refused until the container happened to be recycled: Teams went deaf. The naive fix, fetching again
whenever a token names an unknown key id, hands anyone who can reach the webhook URL a way to make
Buzzi hammer Microsoft's key endpoint (one forged token, one fetch).

Buzzi now fetches again when a token names a key id it does not hold, at most once a minute, and
refuses the token when the new set does not hold it either.
"""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine

from devtools.fake_platforms import FakePlatforms
from tests.integration.stack import LocalAws
from tests.security.channel_setup import (
    bot_framework_key,
    channel_company,
    connect_teams,
    drop_queued,
    post_activity,
    teams_activity,
    teams_bearer,
)


def _key_fetches(platforms: FakePlatforms) -> int:
    return sum(1 for request in platforms.requests if request.path.endswith("/teams/keys"))


def test_rotated_keys_are_fetched_again_at_most_once_a_minute(
    owner_engine: Engine, local_aws: LocalAws, platforms: FakePlatforms
) -> None:
    app_id = f"app-{uuid.uuid4().hex[:8]}"
    platforms.register("pw", app_id)
    company = channel_company(owner_engine, "TeamsRotation")
    connection = connect_teams(company, app_id, "pw")
    service = f"{platforms.base_url}/teams/service"

    old_key = bot_framework_key(platforms, kid="2026-old")
    assert (
        post_activity(
            company, connection, teams_activity(service), teams_bearer(old_key, app_id, service, "2026-old")
        )
        == 200
    )
    assert _key_fetches(platforms) == 1

    # Microsoft rotates: the published set now holds only the new key.
    new_key = bot_framework_key(platforms, kid="2026-new")
    rotated = teams_bearer(new_key, app_id, service, "2026-new")
    assert post_activity(company, connection, teams_activity(service), rotated) == 200, (
        "a genuine activity signed with Bot Framework's new key was refused"
    )
    assert _key_fetches(platforms) == 2

    # Forged tokens naming key ids nobody published: refused, and no more fetches within the minute.
    stranger: rsa.RSAPrivateKey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in range(15):
        forged = teams_bearer(stranger, app_id, service, f"forged-{n}")
        assert post_activity(company, connection, teams_activity(service), forged) == 401
    assert _key_fetches(platforms) == 2
    drop_queued(local_aws.sources.queue_urls["ChannelInboundQueue"])
