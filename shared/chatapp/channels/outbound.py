"""Sending replies (AI and human) back through the channel a conversation came from.

The outcome is recorded on the message (`metadata.delivery`): sent (with how many parts), retrying
(with the error; the queue delivers the job again), or failed. An expired or revoked credential
also marks the connection unverified with the error, which the admin sees on the channel, instead
of pretending the reply went out.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chatapp.channels import senders
from chatapp.channels.configs import credentials_of
from chatapp.db.enums import ChannelType
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.models.conversations import Conversation, Message
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.observability import logger


def deliver(company_id: uuid.UUID, message_id: uuid.UUID, *, final_attempt: bool = False) -> str:
    context = TenantContext.company_service(company_id)
    with tenant_session(context) as db:
        message = db.get(Message, message_id)
        if message is None:
            return "gone"
        delivery = dict((message.metadata_ or {}).get("delivery") or {})
        if delivery.get("status") == "sent":
            return "already_sent"  # a redelivered job: never send twice
        conversation = db.get(Conversation, message.conversation_id)
        assert conversation is not None
        channel_context = (conversation.context or {}).get("channel") or {}
        config_ref = channel_context.get("configId")
        config = db.get(ChannelConfig, uuid.UUID(config_ref)) if config_ref else None
        if config is None or not config.is_active:
            _record(message, {"status": "failed", "error": "The channel is disconnected."})
            return "failed"
        channel: ChannelType = config.channel
        credentials = credentials_of(config)
        reply_context = dict(channel_context.get("replyContext") or {})
        key, text, skip = conversation.external_id or "", message.content, int(delivery.get("sentParts") or 0)
        config_id = config.id
    try:
        sent = senders.send_text(
            channel, credentials, key, text, reply_context, company_id=str(company_id), skip_parts=skip
        )
    except senders.CredentialRejected as error:
        _finish(
            context,
            message_id,
            {"status": "failed", "error": str(error)},
            config_id=config_id,
            channel_error=str(error),
        )
        return "credentials_rejected"
    except senders.SendRefused as error:
        _finish(context, message_id, {"status": "failed", "error": str(error)})
        return "refused"
    except senders.SendFailed as error:
        attempts = int(delivery.get("attempts") or 0) + 1
        status = "failed" if final_attempt else "retrying"
        _finish(
            context, message_id, {**delivery, "status": status, "error": str(error), "attempts": attempts}
        )
        logger.warning(
            "channel send failed", extra={"channel": channel.value, "final_attempt": final_attempt}
        )
        if final_attempt:
            return "failed"
        raise
    _finish(
        context, message_id, {"status": "sent", "sentParts": sent, "sentAt": datetime.now(UTC).isoformat()}
    )
    return "sent"


def _record(message: Message, delivery: dict[str, Any]) -> None:
    message.metadata_ = {**(message.metadata_ or {}), "delivery": delivery}


def _finish(
    context: TenantContext,
    message_id: uuid.UUID,
    delivery: dict[str, Any],
    *,
    config_id: uuid.UUID | None = None,
    channel_error: str | None = None,
) -> None:
    with tenant_session(context) as db:
        message = db.get(Message, message_id)
        if message is not None:
            _record(message, delivery)
        if config_id is not None and channel_error:
            config = db.get(ChannelConfig, config_id)
            if config is not None:
                config.is_verified = False
                when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
                advice = f"{channel_error} at {when}. Rotate the credentials."
                config.settings = {**(config.settings or {}), "lastError": advice}
