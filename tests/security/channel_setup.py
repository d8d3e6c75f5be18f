"""Companies with every channel on their plan, connections and pending replies written straight to
the database (as a connection made before a fix would be), for the channel attack tests."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from chatapp.channels.catalogue import CHANNELS, GENERATED_SECRETS
from chatapp.channels.configs import secret_context
from chatapp.db.enums import ChannelType, MessageRole
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.models.conversations import Conversation, Message
from chatapp.integrations.secret_box import seal
from chatapp.security import token_digest
from devtools.fake_platforms import FakePlatforms
from tests.integration.stack import KnowledgeTenant, new_tenant

ALL_CHANNELS = ["web", "whatsapp", "telegram", "messenger", "instagram", "slack", "teams", "custom"]


def channel_company(owner_engine: Engine, label: str) -> KnowledgeTenant:
    tenant = new_tenant(owner_engine, label)
    with Session(owner_engine) as db, db.begin():
        plan = db.scalar(
            select(CompanySubscription.plan_id).where(
                CompanySubscription.company_id == tenant.data.company_id
            )
        )
        db.execute(update(SubscriptionPlan).where(SubscriptionPlan.id == plan).values(features=ALL_CHANNELS))
    return tenant


def seed_connection(
    owner_engine: Engine, tenant: KnowledgeTenant, channel: ChannelType, credentials: dict[str, str]
) -> uuid.UUID:
    """A connection stored as `connect` stores one, without asking the platform anything (as one
    made before the platform was asked, or whose DNS has changed since)."""
    webhook_id = secrets.token_urlsafe(24)
    context = secret_context(tenant.data.company_id, webhook_id)
    sealed_names = set(CHANNELS[channel].secret) | set(GENERATED_SECRETS.get(channel, ()))
    generated = {name: secrets.token_urlsafe(32) for name in GENERATED_SECRETS.get(channel, ())}
    stored = {
        name: seal(value, context) if name in sealed_names else value
        for name, value in {**credentials, **generated}.items()
    }
    with Session(owner_engine) as db, db.begin():
        config = ChannelConfig(
            company_id=tenant.data.company_id,
            agent_id=tenant.data.agent_id,
            channel=channel,
            credentials=stored,
            webhook_id=webhook_id,
            webhook_url=f"http://127.0.0.1:3000/_url/{CHANNELS[channel].family.title()}WebhookFunction/{webhook_id}",
        )
        db.add(config)
        db.flush()
        return config.id


def seed_reply(
    owner_engine: Engine,
    tenant: KnowledgeTenant,
    config_id: uuid.UUID,
    channel: ChannelType,
    reply_context: dict[str, Any],
    text: str = "Here is your answer.",
) -> uuid.UUID:
    """An assistant reply waiting to go out through the connection; returns the message id."""
    with Session(owner_engine) as db, db.begin():
        conversation = Conversation(
            company_id=tenant.data.company_id,
            agent_id=tenant.data.agent_id,
            session_token=token_digest(secrets.token_urlsafe(32)),
            channel=channel,
            external_id=f"conv-{uuid.uuid4().hex[:8]}",
            context={"channel": {"configId": str(config_id), "replyContext": reply_context}},
        )
        db.add(conversation)
        db.flush()
        message = Message(conversation_id=conversation.id, role=MessageRole.ASSISTANT, content=text)
        db.add(message)
        db.flush()
        return message.id


def delivery_of(owner_engine: Engine, message_id: uuid.UUID) -> dict[str, Any]:
    with Session(owner_engine) as db:
        message = db.get(Message, message_id)
        assert message is not None
        return dict((message.metadata_ or {}).get("delivery") or {})


def connections_of(owner_engine: Engine, tenant: KnowledgeTenant) -> list[ChannelConfig]:
    """The company's channel connections, apart from the ones its test data came with."""
    with Session(owner_engine) as db:
        rows = db.scalars(
            select(ChannelConfig).where(
                ChannelConfig.company_id == tenant.data.company_id,
                ChannelConfig.channel != ChannelType.WEB,
                ChannelConfig.webhook_id.not_like("wh-%"),  # seeded by tests/integration/tenant_data.py
            )
        )
        return list(rows)


def drop_queued(queue_url: str) -> None:
    """Delete what a test queued, so no other test's worker answers it."""
    import boto3

    sqs = boto3.client("sqs")
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


# ---------------------------------------------------------------- Microsoft Teams (Bot Framework)

TEAMS_KEY_ID = "bf-key"


def bot_framework_key(platforms: FakePlatforms, kid: str = TEAMS_KEY_ID) -> rsa.RSAPrivateKey:
    """A Bot Framework signing key that the fake publishes (alone) in its key set."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    platforms.jwks = {"keys": [{**public, "kid": kid}]}
    return private


def teams_bearer(
    private: rsa.RSAPrivateKey, app_id: str, service_url: str | None, kid: str = TEAMS_KEY_ID
) -> str:
    claims: dict[str, Any] = {
        "iss": "https://api.botframework.com",
        "aud": app_id,
        "exp": int(time.time()) + 600,
    }
    if service_url is not None:
        claims["serviceurl"] = service_url
    return "Bearer " + jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


def teams_activity(service_url: str) -> bytes:
    return json.dumps(
        {
            "type": "message",
            "id": f"act-{uuid.uuid4().hex[:6]}",
            "text": "hello",
            "from": {"id": "29:user", "name": "Lin"},
            "conversation": {"id": "a:conv"},
            "serviceUrl": service_url,
        }
    ).encode()


def post_activity(tenant: KnowledgeTenant, connection: dict[str, Any], body: bytes, bearer: str) -> int:
    function, webhook_id = connection["webhook_url"].rsplit("/", 2)[-2:]
    response = tenant.api.request(
        "POST", f"/_url/{function}/{webhook_id}", raw_body=body, headers={"authorization": bearer}
    )
    return response.status


def connect_teams(tenant: KnowledgeTenant, app_id: str, password: str) -> dict[str, Any]:
    response = tenant.call(
        "POST",
        "/v1/channels",
        json_body={
            "agent_id": str(tenant.data.agent_id),
            "channel": "teams",
            "credentials": {"appId": app_id, "appPassword": password},
        },
    )
    assert response.status == 201, response.body
    return response.body
