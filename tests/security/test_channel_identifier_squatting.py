"""Attack: a company claims another's platform identity by typing its identifier.

A connection names the platform account it speaks for: a Teams `appId`, a Telegram bot, a Slack
`teamId`, a WhatsApp phone number id, a Messenger page id, an Instagram account id. Buzzi stored
whatever identifier a company typed next to whatever secret it typed, first come first served,
so company B could bind company A's bot or page to its own connection (and, for Teams, borrow
A's cached token: see test_teams_token_theft.py).

Buzzi withstands it by asking the platform, at connect and at rotation, whether the secret is
genuine and belongs to that identifier (a client-credentials token request, `getMe`, `auth.test`,
Graph `GET /{id}`); a refusal is a 400 `channel_credentials_rejected` and nothing is stored.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine

from chatapp.channels.configs import credentials_of
from devtools.fake_platforms import FakePlatforms
from tests.integration.stack import KnowledgeTenant, LocalAws
from tests.security.channel_setup import channel_company, connections_of

# channel, the identifier field, the secret that proves it, the other credentials it needs
CASES: list[tuple[str, str, str, dict[str, str]]] = [
    ("teams", "appId", "appPassword", {}),
    ("telegram", "botUsername", "botToken", {}),
    ("slack", "teamId", "botToken", {"signingSecret": "signing"}),
    ("whatsapp", "phoneNumberId", "accessToken", {"appSecret": "app", "verifyToken": "vt"}),
    ("messenger", "pageId", "pageAccessToken", {"appSecret": "app", "verifyToken": "vt"}),
    ("instagram", "accountId", "pageAccessToken", {"appSecret": "app", "verifyToken": "vt"}),
]


def _connect(tenant: KnowledgeTenant, channel: str, credentials: dict[str, str]) -> Any:
    return tenant.call(
        "POST",
        "/v1/channels",
        json_body={"agent_id": str(tenant.data.agent_id), "channel": channel, "credentials": credentials},
    )


@pytest.mark.parametrize(("channel", "identifier", "secret", "others"), CASES, ids=[c[0] for c in CASES])
def test_an_identifier_is_bound_only_with_credentials_the_platform_accepts_for_it(
    owner_engine: Engine,
    local_aws: LocalAws,
    platforms: FakePlatforms,
    channel: str,
    identifier: str,
    secret: str,
    others: dict[str, str],
) -> None:
    tag = uuid.uuid4().hex[:8]
    victim_id, thief_id = f"victim{tag}", f"thief{tag}"
    platforms.register(f"{tag}:victim-secret", victim_id)
    platforms.register(f"{tag}:thief-secret", thief_id)
    thief = channel_company(owner_engine, f"Squat{channel}")

    for borrowed in (f"{tag}:thief-secret", f"{tag}:made-up"):  # another account's secret; a wrong one
        refused = _connect(thief, channel, {identifier: victim_id, secret: borrowed, **others})
        assert refused.status == 400, (
            f"{channel}: {identifier}={victim_id} bound with {borrowed}: {refused.body}"
        )
        assert refused.body["error"]["code"] == "channel_credentials_rejected"
        assert borrowed not in str(refused.body)
    assert connections_of(owner_engine, thief) == [], "a refused connection was stored"

    # The thief's own account connects; rotating it onto the victim's identifier is refused too.
    own = _connect(thief, channel, {identifier: thief_id, secret: f"{tag}:thief-secret", **others})
    assert own.status == 201, own.body
    rotated = thief.call(
        "PUT",
        f"/v1/channels/{own.body['id']}/credentials",
        json_body={"credentials": {identifier: victim_id}},
    )
    assert rotated.status == 400 and rotated.body["error"]["code"] == "channel_credentials_rejected", (
        rotated.body
    )
    [stored] = connections_of(owner_engine, thief)
    assert credentials_of(stored)[identifier] == thief_id, "the refused rotation changed the connection"
