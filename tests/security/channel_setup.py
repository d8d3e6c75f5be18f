"""Companies with every channel on their plan, connections and pending replies written straight to
the database (as a connection made before a fix would be), for the channel attack tests."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from chatapp.channels.catalogue import CHANNELS, GENERATED_SECRETS
from chatapp.db.enums import ChannelType, MessageRole
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.models.conversations import Conversation, Message
from chatapp.integrations.secret_box import seal
from chatapp.security import token_digest
from chatapp.services.channel_configs import secret_context
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
