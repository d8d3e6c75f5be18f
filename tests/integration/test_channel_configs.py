"""Channel connections: sealed credentials, never returned, rotatable; channels only on plans with them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.channels import ChannelConfig
from devtools.fake_platforms import FakePlatforms
from tests.integration.http import ApiClient
from tests.integration.stack import LocalAws
from tests.integration.tenant_data import CompanyData, create_company, create_platform_rows


@pytest.fixture
def company(owner_engine: Engine, local_aws: LocalAws) -> CompanyData:
    with Session(owner_engine) as db, db.begin():
        data = create_company(db, "Chan", create_platform_rows(db))
        plan_id = db.scalar(
            select(CompanySubscription.plan_id).where(CompanySubscription.company_id == data.company_id)
        )
        db.execute(
            update(SubscriptionPlan)
            .where(SubscriptionPlan.id == plan_id)
            .values(features=["web", "telegram"])
        )
    return data


def test_connect_seals_credentials_and_never_returns_them(
    api: ApiClient, company: CompanyData, owner_engine: Engine, platforms: FakePlatforms
) -> None:
    platforms.register("123456:ABC-secret-token", "shop_bot")  # the platform confirms the bot is theirs
    platforms.register("999:new", "shop_bot")
    token = company.tokens["admin"]
    connected = api.request(
        "POST",
        "/v1/channels",
        token=token,
        json_body={
            "agent_id": str(company.agent_id),
            "channel": "telegram",
            "credentials": {"botUsername": "shop_bot", "botToken": "123456:ABC-secret-token"},
        },
    )
    assert connected.status == 201, connected.body
    body = connected.body
    assert body["identifiers"] == {"botUsername": "shop_bot"}
    assert sorted(body["secrets_set"]) == ["botToken", "webhookSecret"]
    assert "123456:ABC-secret-token" not in str(body)
    assert len(body["generated_secrets"]["webhookSecret"]) >= 32  # shown once, for setWebhook
    assert body["webhook_url"].endswith(body["webhook_url"].rsplit("/", 1)[1])
    webhook_id = body["webhook_url"].rsplit("/", 1)[1]
    assert len(webhook_id) >= 24

    with Session(owner_engine) as db:
        stored = db.scalar(select(ChannelConfig).where(ChannelConfig.webhook_id == webhook_id))
    assert stored is not None
    assert stored.credentials["botToken"].startswith("kms1:") and "ABC-secret" not in str(stored.credentials)

    read = api.get(f"/v1/channels/{body['id']}", token=token)
    assert "generated_secrets" not in read.body and "123456" not in str(read.body)
    rotated = api.request(
        "PUT",
        f"/v1/channels/{body['id']}/credentials",
        token=token,
        json_body={"credentials": {"botToken": "999:new"}},
    )
    assert rotated.status == 200 and rotated.body["is_verified"] is False
    with Session(owner_engine) as db:
        again = db.get(ChannelConfig, stored.id)
        assert again is not None and again.credentials["botToken"] != stored.credentials["botToken"]

    from chatapp.channels.configs import credentials_of

    with Session(owner_engine) as db:
        config = db.get(ChannelConfig, stored.id)
        assert config is not None
        clear = credentials_of(config)
    assert (
        clear["botToken"] == "999:new"
        and clear["webhookSecret"] == body["generated_secrets"]["webhookSecret"]
    )


def test_bad_credentials_and_missing_plan_features_are_refused(api: ApiClient, company: CompanyData) -> None:
    token = company.tokens["admin"]
    base = {"agent_id": str(company.agent_id), "channel": "telegram"}
    unknown = api.request(
        "POST", "/v1/channels", token=token, json_body={**base, "credentials": {"password": "x"}}
    )
    assert unknown.status == 400 and unknown.body["error"]["code"] == "unknown_credentials"
    missing = api.request(
        "POST", "/v1/channels", token=token, json_body={**base, "credentials": {"botUsername": "b"}}
    )
    assert missing.status == 400 and missing.body["error"]["code"] == "missing_credentials"
    slack = api.request(
        "POST",
        "/v1/channels",
        token=token,
        json_body={
            "agent_id": str(company.agent_id),
            "channel": "slack",
            "credentials": {"teamId": "T1", "botToken": "xoxb-1", "signingSecret": "s"},
        },
    )
    assert slack.status == 402 and slack.body["error"]["code"] == "channel_not_in_plan"
    assert "upgrade" in slack.body["error"]["message"]
    support = api.request(
        "POST", "/v1/channels", token=company.tokens["support"], json_body={**base, "credentials": {}}
    )
    assert support.status == 403
