"""Channels end to end: a signed webhook from the platform -> queue -> the conversation engine ->
the reply sent through a local fake of the platform's API (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from chatapp.channels.credential_checks import CHECKED_FIELDS
from chatapp.companies.status import CUSTOMER_NOTICE
from chatapp.db.enums import ChannelType
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.models.conversations import Conversation, Message
from chatapp.db.models.core import Company as CompanyRow
from devtools.fake_platforms import FakePlatforms
from devtools.template import functions
from tests.integration.http import ApiResponse
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant

ALL_CHANNELS = ["web", "whatsapp", "telegram", "messenger", "instagram", "slack", "teams", "custom"]
SPECS = {spec.logical_id: spec for spec in functions()}


@dataclass
class Company:
    tenant: KnowledgeTenant
    local_aws: LocalAws
    platforms: FakePlatforms

    def connect(self, channel: str, credentials: dict[str, str]) -> dict[str, Any]:
        """Connect a genuine account: the platform knows the secret as the identifier's."""
        checked = CHECKED_FIELDS.get(ChannelType(channel), ())
        if len(checked) == 2:
            identifier, secret = checked
            self.platforms.register(credentials[secret], credentials[identifier])
        response = self.tenant.call(
            "POST",
            "/v1/channels",
            json_body={
                "agent_id": str(self.tenant.data.agent_id),
                "channel": channel,
                "credentials": credentials,
            },
        )
        assert response.status == 201, response.body
        return response.body

    def webhook(
        self,
        connection: dict[str, Any],
        body: bytes,
        headers: dict[str, str],
        method: str = "POST",
        query: str = "",
    ) -> ApiResponse:
        function, webhook_id = connection["webhook_url"].rsplit("/", 2)[-2:]
        return self.tenant.api.request(
            method, f"/_url/{function}/{webhook_id}{query}", raw_body=body or None, headers=headers
        )

    def drain(self, queue: str, function: str) -> int:
        url = self.local_aws.sources.queue_urls[queue]
        handled = 0
        for _ in range(10):
            messages = (
                boto3.client("sqs")
                .receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
                )
                .get("Messages", [])
            )
            if not messages:
                return handled
            self.local_aws.sources.deliver_sqs(SPECS[function], url, messages)
            handled += len(messages)
        raise AssertionError(f"{queue} did not drain")

    def run_queues(self) -> None:
        self.drain("ChannelInboundQueue", "ChannelInboundFunction")
        self.drain("ChannelOutboundQueue", "ChannelOutboundFunction")


@pytest.fixture
def company(
    owner_engine: Engine, local_aws: LocalAws, builtin_packages: None, platforms: FakePlatforms
) -> Company:
    tenant = new_tenant(owner_engine, "Chan")
    with Session(owner_engine) as db, db.begin():
        plan = db.scalar(
            select(CompanySubscription.plan_id).where(
                CompanySubscription.company_id == tenant.data.company_id
            )
        )
        db.execute(update(SubscriptionPlan).where(SubscriptionPlan.id == plan).values(features=ALL_CHANNELS))
    return Company(tenant, local_aws, platforms)


def _telegram_update(update_id: int, text: str, chat: int = 4242) -> bytes:
    message = {
        "message_id": update_id,
        "from": {"id": 77, "first_name": "Ada"},
        "chat": {"id": chat},
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def test_telegram_answers_once_per_message(
    company: Company, platforms: FakePlatforms, owner_engine: Engine
) -> None:
    connection = company.connect("telegram", {"botUsername": "shop_bot", "botToken": "123:bot-token"})
    secret = connection["generated_secrets"]["webhookSecret"]
    forged = company.webhook(
        connection, _telegram_update(1, "hi"), {"x-telegram-bot-api-secret-token": "wrong"}
    )
    assert forged.status == 401
    assert company.drain("ChannelInboundQueue", "ChannelInboundFunction") == 0  # nothing was queued

    body = _telegram_update(2, "Hello, do you ship to Norway?")
    headers = {"x-telegram-bot-api-secret-token": secret, "content-type": "application/json"}
    assert company.webhook(connection, body, headers).status == 200
    assert company.webhook(connection, body, headers).status == 200  # Telegram retried the same update
    company.run_queues()
    sends = platforms.sent("/telegram/bot123:bot-token/sendMessage")
    assert len(sends) == 1, [s.path for s in platforms.requests]
    assert sends[0].json()["chat_id"] == "4242" and sends[0].json()["text"]

    with Session(owner_engine) as db:
        conversation = db.scalar(select(Conversation).where(Conversation.external_id == "4242"))
        assert conversation is not None and conversation.channel.value == "telegram"
        customer_messages = db.scalar(
            select(func.count(Message.id)).where(
                Message.conversation_id == conversation.id, Message.role == "user"
            )
        )
        assert customer_messages == 1
        reply = db.scalar(
            select(Message).where(Message.conversation_id == conversation.id, Message.role == "assistant")
        )
        assert reply is not None and reply.metadata_["delivery"]["status"] == "sent"
    read = company.tenant.call("GET", f"/v1/channels/{connection['id']}")
    assert read.body["is_verified"] is True


def test_an_expired_token_shows_up_as_a_channel_error(
    company: Company, platforms: FakePlatforms, owner_engine: Engine
) -> None:
    connection = company.connect("telegram", {"botUsername": "b", "botToken": "9:expired"})
    secret = connection["generated_secrets"]["webhookSecret"]
    platforms.fail("sendMessage", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    company.webhook(connection, _telegram_update(5, "hi"), {"x-telegram-bot-api-secret-token": secret})
    company.run_queues()
    read = company.tenant.call("GET", f"/v1/channels/{connection['id']}").body
    assert read["is_verified"] is False and "rejected the credentials" in read["last_error"]
    with Session(owner_engine) as db:
        reply = db.scalar(
            select(Message).where(Message.role == "assistant").order_by(Message.created_at.desc())
        )
        assert reply is not None and reply.metadata_["delivery"]["status"] == "failed"


def _slack_headers(secret: str, body: bytes, stamp: int | None = None) -> dict[str, str]:
    stamp = stamp or int(time.time())
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "x-slack-request-timestamp": str(stamp),
        "x-slack-signature": signature,
        "content-type": "application/json",
    }


def test_slack_challenge_signatures_replays_and_retries(company: Company, platforms: FakePlatforms) -> None:
    connection = company.connect("slack", {"teamId": "T1", "botToken": "xoxb-1", "signingSecret": "sign"})
    challenge = json.dumps({"type": "url_verification", "challenge": "abc123"}).encode()
    answered = company.webhook(connection, challenge, _slack_headers("sign", challenge))
    assert answered.status == 200 and answered.body == {"challenge": "abc123"}

    event = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev1",
            "event": {
                "type": "message",
                "user": "U1",
                "text": "Where is my order?",
                "channel": "D1",
                "ts": "1.2",
            },
        }
    ).encode()
    stale = company.webhook(connection, event, _slack_headers("sign", event, int(time.time()) - 600))
    assert stale.status == 401
    assert company.webhook(connection, event, _slack_headers("other", event)).status == 401
    assert company.webhook(connection, event, _slack_headers("sign", event)).status == 200
    retry = company.webhook(connection, event, {**_slack_headers("sign", event), "x-slack-retry-num": "1"})
    assert retry.status == 200
    company.run_queues()
    posts = platforms.sent("/slack/chat.postMessage")
    assert len(posts) == 1 and posts[0].json()["channel"] == "D1"
    assert posts[0].headers["authorization"] == "Bearer xoxb-1"


def test_whatsapp_handshake_and_signed_messages(company: Company, platforms: FakePlatforms) -> None:
    connection = company.connect(
        "whatsapp", {"phoneNumberId": "555", "accessToken": "EAAG", "appSecret": "app", "verifyToken": "vt"}
    )
    shake = company.webhook(
        connection, b"", {}, method="GET", query="?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=987"
    )
    assert shake.status == 200 and shake.body == 987
    bad = company.webhook(
        connection, b"", {}, method="GET", query="?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1"
    )
    assert bad.status == 401
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "contacts": [{"wa_id": "4930123", "profile": {"name": "Ada"}}],
                                "messages": [
                                    {
                                        "from": "4930123",
                                        "id": "wamid.A",
                                        "type": "text",
                                        "text": {"body": "Hallo"},
                                    }
                                ],
                            }
                        }
                    ]
                }
            ],
        }
    ).encode()
    signature = "sha256=" + hmac.new(b"app", body, hashlib.sha256).hexdigest()
    assert company.webhook(connection, body, {"x-hub-signature-256": "sha256=" + "0" * 64}).status == 401
    assert company.webhook(connection, body, {"x-hub-signature-256": signature}).status == 200
    company.run_queues()
    sends = platforms.sent("/graph/555/messages")
    assert len(sends) == 1 and sends[0].json()["to"] == "4930123"
    assert sends[0].headers["authorization"] == "Bearer EAAG"


def test_teams_tokens_are_checked_and_replies_go_to_the_service_url(
    company: Company, platforms: FakePlatforms
) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platforms.jwks = {
        "keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key())), "kid": "k"}]
    }
    connection = company.connect("teams", {"appId": "app-1", "appPassword": "pw"})
    activity = json.dumps(
        {
            "type": "message",
            "id": "act-1",
            "text": "Can I change my plan?",
            "from": {"id": "29:user", "name": "Lin"},
            "conversation": {"id": "a:conv"},
            "serviceUrl": f"{platforms.base_url}/teams/service",
        }
    ).encode()
    claims = {
        "iss": "https://api.botframework.com",
        "aud": "app-1",
        "exp": int(time.time()) + 600,
        "serviceurl": f"{platforms.base_url}/teams/service",
    }
    good = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "k"})
    wrong_app = jwt.encode({**claims, "aud": "app-2"}, private, algorithm="RS256", headers={"kid": "k"})
    assert company.webhook(connection, activity, {"authorization": f"Bearer {wrong_app}"}).status == 401
    assert company.webhook(connection, activity, {"authorization": f"Bearer {good}"}).status == 200
    company.run_queues()
    replies = platforms.sent("/teams/service/v3/conversations/a:conv/activities")
    assert len(replies) == 1 and replies[0].headers["authorization"].startswith("Bearer bot-framework-token-")


def test_custom_integrations_sign_both_ways(company: Company, platforms: FakePlatforms) -> None:
    connection = company.connect("custom", {"callbackUrl": f"{platforms.base_url}/custom/callback"})
    secret = connection["generated_secrets"]["webhookSecret"]
    body = json.dumps(
        {"message_id": "m1", "conversation_id": "c1", "sender": {"id": "u1"}, "text": "hi"}
    ).encode()
    stamp = int(time.time())
    signature = "sha256=" + hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert (
        company.webhook(
            connection, body, {"x-buzzi-timestamp": str(stamp), "x-buzzi-signature": "sha256=00"}
        ).status
        == 401
    )
    assert (
        company.webhook(
            connection, body, {"x-buzzi-timestamp": str(stamp), "x-buzzi-signature": signature}
        ).status
        == 200
    )
    company.run_queues()
    [callback] = platforms.sent("/custom/callback")
    sent_stamp = callback.headers["x-buzzi-timestamp"]
    expected = (
        "sha256="
        + hmac.new(secret.encode(), f"{sent_stamp}.".encode() + callback.body, hashlib.sha256).hexdigest()
    )
    assert callback.headers["x-buzzi-signature"] == expected and callback.json()["conversation_id"] == "c1"


def test_unknown_webhooks_and_disconnected_channels(company: Company, owner_engine: Engine) -> None:
    connection = company.connect("telegram", {"botUsername": "b", "botToken": "1:t"})
    function = connection["webhook_url"].rsplit("/", 2)[-2]
    unknown = company.tenant.api.request("POST", f"/_url/{function}/{uuid.uuid4().hex}", raw_body=b"{}")
    assert unknown.status == 404
    with Session(owner_engine) as db, db.begin():
        db.execute(
            update(ChannelConfig)
            .where(ChannelConfig.id == uuid.UUID(connection["id"]))
            .values(is_active=False)
        )
    secret = connection["generated_secrets"]["webhookSecret"]
    assert (
        company.webhook(
            connection, _telegram_update(9, "hi"), {"x-telegram-bot-api-secret-token": secret}
        ).status
        == 404
    )


def test_a_person_taking_over_answers_through_the_channel(company: Company, platforms: FakePlatforms) -> None:
    company.tenant.call(
        "PATCH",
        f"/v1/agents/{company.tenant.data.agent_id}",
        json_body={"escalation_rules": {"keywords": ["lawyer"]}},
    )
    connection = company.connect("telegram", {"botUsername": "b", "botToken": "5:t"})
    secret = connection["generated_secrets"]["webhookSecret"]
    company.webhook(
        connection,
        _telegram_update(30, "My lawyer will call", chat=900),
        {"x-telegram-bot-api-secret-token": secret},
    )
    company.run_queues()
    handover = platforms.sent("/telegram/bot5:t/sendMessage")
    assert len(handover) == 1  # the handover message went out through Telegram too
    conversations = company.tenant.api.request(
        "GET", "/v1/inbox/conversations?status=waiting_human", token=company.tenant.data.tokens["admin"]
    ).body
    [conversation] = [c for c in conversations if c["channel"] == "telegram"]
    reply = company.tenant.api.request(
        "POST",
        f"/v1/inbox/conversations/{conversation['id']}/messages",
        token=company.tenant.data.tokens["admin"],
        json_body={"content": "Hi, a person here. How can I help?"},
    )
    assert reply.status == 201
    company.drain("ChannelOutboundQueue", "ChannelOutboundFunction")
    sends = platforms.sent("/telegram/bot5:t/sendMessage")
    assert [s.json()["text"] for s in sends][-1] == "Hi, a person here. How can I help?"
    assert sends[-1].json()["chat_id"] == "900"


@pytest.mark.parametrize(
    ("channel", "credentials", "send_path"),
    [
        (
            "messenger",
            {"pageId": "p1", "pageAccessToken": "PAT", "appSecret": "app", "verifyToken": "vt"},
            "/graph/p1/messages",
        ),
        (
            "instagram",
            {"accountId": "ig1", "pageAccessToken": "PAT", "appSecret": "app", "verifyToken": "vt"},
            "/graph/ig1/messages",
        ),
    ],
)
def test_messenger_and_instagram_answer_signed_messages_once(
    company: Company, platforms: FakePlatforms, channel: str, credentials: dict[str, str], send_path: str
) -> None:
    connection = company.connect(channel, credentials)
    event = {
        "sender": {"id": "psid-1"},
        "recipient": {"id": "p1"},
        "message": {"mid": "m_1", "text": "Do you have gift cards?"},
    }
    echo = {
        "sender": {"id": "p1"},
        "recipient": {"id": "psid-1"},
        "message": {"mid": "m_2", "text": "x", "is_echo": True},
    }
    body = json.dumps({"object": "page", "entry": [{"messaging": [event, echo]}]}).encode()
    signature = "sha256=" + hmac.new(b"app", body, hashlib.sha256).hexdigest()
    assert company.webhook(connection, body, {"x-hub-signature-256": "sha256=" + "1" * 64}).status == 401
    assert company.drain("ChannelInboundQueue", "ChannelInboundFunction") == 0  # the forgery stored nothing
    for _ in range(2):  # Meta redelivers
        assert company.webhook(connection, body, {"x-hub-signature-256": signature}).status == 200
    company.run_queues()
    sends = platforms.sent(send_path)
    assert len(sends) == 1  # one answer; our own echo is never answered
    assert sends[0].json()["recipient"] == {"id": "psid-1"}
    assert sends[0].headers["authorization"] == "Bearer PAT"


def test_a_suspended_company_stops_answering_with_one_notice(
    company: Company, platforms: FakePlatforms, owner_engine: Engine
) -> None:
    connection = company.connect("telegram", {"botUsername": "shop_bot", "botToken": "123:bot-token"})
    headers = {
        "x-telegram-bot-api-secret-token": connection["generated_secrets"]["webhookSecret"],
        "content-type": "application/json",
    }
    with Session(owner_engine) as db, db.begin():
        db.execute(
            update(CompanyRow)
            .where(CompanyRow.id == company.tenant.data.company_id)
            .values(status="suspended", status_reason="Unpaid invoices")
        )
    for update_id in (10, 11):  # two messages: the notice goes out once, and nothing is retried
        body = _telegram_update(update_id, "Hello?", chat=5151)
        assert company.webhook(connection, body, headers).status == 200
        company.run_queues()
    sends = platforms.sent("/telegram/bot123:bot-token/sendMessage")
    assert [s.json()["text"] for s in sends] == [CUSTOMER_NOTICE]
    assert "Unpaid" not in sends[0].json()["text"], "customers never see the internal reason"
    dead = boto3.client("sqs").receive_message(
        QueueUrl=company.local_aws.sources.queue_urls["ChannelInboundDeadLetterQueue"], MaxNumberOfMessages=10
    )
    assert not dead.get("Messages"), "a refusal is not a failure: nothing is dead-lettered"
    with Session(owner_engine) as db:
        conversation = db.scalar(select(Conversation).where(Conversation.external_id == "5151"))
        assert conversation is not None
        roles = db.scalars(select(Message.role).where(Message.conversation_id == conversation.id)).all()
        assert [r.value for r in roles] == ["assistant"], "customer messages are not answered or counted"
