"""Inbound channel webhooks: verify, acknowledge fast, then answer through the conversation engine.

`receive` runs in the webhook function: it finds the connection by its webhook id, verifies the
request before parsing anything, queues the raw event and answers within the platforms' deadlines
(a few seconds). `process` runs from the queue: each event becomes internal messages, matched to
the customer (`channel_ids`) and the open conversation (`external_id`), and answered by the same
engine as the widget; replies leave through the outbound queue.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update

from chatapp.channels import credential_checks, verification
from chatapp.channels.catalogue import CHANNELS
from chatapp.channels.configs import credentials_of
from chatapp.channels.normalize import InboundMessage, normalise
from chatapp.companies import status as company_status
from chatapp.config import get_settings
from chatapp.conversations import customers, turns
from chatapp.conversations.opening import open_conversation
from chatapp.db.enums import ChannelType, MessageRole
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.models.conversations import Conversation, Message
from chatapp.db.tenancy import TenantContext, system_session, tenant_session
from chatapp.errors import Forbidden, LimitExceeded
from chatapp.integrations import queues
from chatapp.integrations.signing_keys import SigningKeys
from chatapp.observability import logger
from chatapp.security import token_digest


@dataclass(frozen=True)
class WebhookReply:
    status: int
    body: str
    content_type: str = "application/json"


OK = WebhookReply(200, '{"ok":true}')
UNKNOWN = WebhookReply(404, '{"error":{"code":"not_found","message":"Unknown webhook."}}')
REJECTED = WebhookReply(
    401, '{"error":{"code":"webhook_rejected","message":"The request could not be verified."}}'
)


def receive(
    webhook_id: str, method: str, headers: dict[str, str], query: dict[str, str], raw_body: bytes
) -> WebhookReply:
    with system_session("route a channel webhook to its connection") as db:
        config = db.scalar(select(ChannelConfig).where(ChannelConfig.webhook_id == webhook_id))
        if config is None or not config.is_active:
            return UNKNOWN
        config_id, company_id, channel, verified = (
            config.id,
            config.company_id,
            config.channel,
            config.is_verified,
        )
        credentials = credentials_of(config)
    try:
        early = _verify(channel, credentials, method, headers, query, raw_body)
    except verification.WebhookRejected as error:
        logger.warning("channel webhook rejected", extra={"channel": channel.value, "reason": str(error)})
        return REJECTED
    if early is not None:
        return early
    message = {"config_id": str(config_id), "company_id": str(company_id), "payload": raw_body.decode()}
    queues.send_channel_event(message)
    if not verified:  # the platform reached us with valid credentials: the connection works
        with system_session("mark a channel verified") as db:
            db.execute(
                update(ChannelConfig)
                .where(ChannelConfig.id == config_id)
                .values(is_verified=True, last_verified_at=datetime.now(UTC))
            )
    return OK


def _verify(
    channel: ChannelType,
    credentials: dict[str, str],
    method: str,
    headers: dict[str, str],
    query: dict[str, str],
    raw_body: bytes,
) -> WebhookReply | None:
    """Raises WebhookRejected, returns a reply that ends the request early, or None to go on."""
    family = CHANNELS[channel].family
    if family == "meta":
        if method == "GET":
            return WebhookReply(
                200, verification.meta_handshake(credentials["verifyToken"], query), "text/plain"
            )
        verification.meta_signature(credentials["appSecret"], raw_body, headers.get("x-hub-signature-256"))
    elif family == "telegram":
        verification.telegram_secret(
            credentials["webhookSecret"], headers.get("x-telegram-bot-api-secret-token")
        )
    elif family == "slack":
        verification.slack_signature(
            credentials["signingSecret"],
            headers.get("x-slack-request-timestamp"),
            raw_body,
            headers.get("x-slack-signature"),
        )
        body = _json(raw_body)
        if body.get("type") == "url_verification":
            return WebhookReply(200, json.dumps({"challenge": body.get("challenge", "")}))
        if headers.get("x-slack-retry-num"):
            return OK  # Slack retries what we already queued: acknowledge, never answer twice
    elif family == "teams":
        settings = get_settings()
        service_url = str(_json(raw_body).get("serviceUrl") or "")
        verification.teams_token(
            headers.get("authorization"),
            credentials["appId"],
            settings.teams_issuer,
            _TEAMS_KEYS.key,
            service_url=service_url,
        )
        if not credential_checks.teams_service_url_allowed(service_url):
            raise verification.WebhookRejected("the activity's serviceUrl is not a Bot Framework host")
    elif family == "custom":
        verification.custom_signature(
            credentials["webhookSecret"],
            headers.get("x-buzzi-timestamp"),
            raw_body,
            headers.get("x-buzzi-signature"),
        )
    if method != "POST":
        raise verification.WebhookRejected(f"unexpected {method}")
    return None


# Bot Framework's signing keys, shared by the warm container's requests (they rotate rarely).
_TEAMS_KEYS = SigningKeys(lambda: get_settings().teams_jwks_url)


def _json(raw_body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw_body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------- processing (queue worker)


def process(message: dict[str, Any]) -> int:
    """Answer one queued event; returns how many customer messages it carried (duplicates included)."""
    config_id, company_id = uuid.UUID(message["config_id"]), uuid.UUID(message["company_id"])
    context = TenantContext.company_service(company_id)
    with tenant_session(context) as db:
        config = db.get(ChannelConfig, config_id)
        if config is None or not config.is_active:
            return 0  # disconnected since: nothing to answer
        channel, agent_id = config.channel, config.agent_id
    items = normalise(channel, _json(message["payload"].encode()))
    for item in items:
        conversation_id = _conversation_for(context, config_id, channel, agent_id, item)
        try:
            outcome = turns.take_customer_message(
                company_id,
                conversation_id,
                item.text,
                item.attachments,
                platform_message_id=item.platform_message_id,
            )
        except (Forbidden, LimitExceeded) as refusal:
            # Suspended, lapsed or out of messages: retrying cannot help. The customer is told once.
            logger.info("channel message refused", extra={"code": refusal.code, "channel": channel.value})
            _notify_unserved(context, conversation_id, refusal.code)
            continue
        for reply in outcome.messages[1:]:
            if reply.role is MessageRole.ASSISTANT:
                queues.send_channel_delivery(company_id, reply.id)
    return len(items)


def _notify_unserved(context: TenantContext, conversation_id: uuid.UUID, code: str) -> None:
    """Send the customer the unavailable notice, unless it is already the conversation's last word."""
    with tenant_session(context) as db:
        last = db.scalar(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.created_at.desc())
            .limit(1)
        )
        if last is not None and (last.metadata_ or {}).get("notice") == code:
            return
        notice = Message(
            conversation_id=conversation_id,
            role=MessageRole.ASSISTANT,
            content=company_status.CUSTOMER_NOTICE,
            metadata_={"notice": code},
        )
        db.add(notice)
        db.flush()
        company_id, notice_id = context.company_id, notice.id
    assert company_id is not None
    queues.send_channel_delivery(company_id, notice_id)


def _conversation_for(
    context: TenantContext,
    config_id: uuid.UUID,
    channel: ChannelType,
    agent_id: uuid.UUID,
    item: InboundMessage,
) -> uuid.UUID:
    """The conversation this platform conversation continues, created the first time. Two deliveries
    racing here are serialised by a transaction-level advisory lock on (connection, conversation)."""
    key = int.from_bytes(
        hashlib.sha256(f"{config_id}:{item.conversation_key}".encode()).digest()[:8], "big", signed=True
    )
    with tenant_session(context) as db:
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        conversation_id = db.scalar(
            select(Conversation.id)
            .where(
                Conversation.agent_id == agent_id,
                Conversation.channel == channel,
                Conversation.external_id == item.conversation_key,
                Conversation.deleted_at.is_(None),
            )
            .order_by(Conversation.started_at.desc())
            .limit(1)
        )
        if conversation_id is not None:
            return conversation_id
        assert context.company_id is not None
        customer = customers.match_by_channel(
            db, context.company_id, channel.value, item.sender_id, item.sender_name
        )
        conversation = Conversation(
            company_id=context.company_id,
            agent_id=agent_id,
            session_token=token_digest(secrets.token_urlsafe(32)),  # channels have no session: unusable
            channel=channel,
            customer_id=str(customer.id),
            customer_name=item.sender_name or customer.name,
            external_id=item.conversation_key,
            context={"channel": {"configId": str(config_id), "replyContext": item.reply_context}},
        )
        open_conversation(db, conversation, customer.id)
        return conversation.id
