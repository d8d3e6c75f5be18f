"""Every platform's inbound event, turned into the same internal message.

Only messages a person typed are kept: echoes of our own sends, bot messages, edits and delivery
receipts are dropped here, so the conversation engine never answers itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chatapp.db.enums import ChannelType


@dataclass(frozen=True)
class InboundMessage:
    platform_message_id: str  # de-duplication key: a retried delivery carries the same id
    conversation_key: str  # the platform's conversation: WhatsApp number, Telegram chat, Slack channel...
    sender_id: str  # the platform's id of the person (matched to `customers.channel_ids`)
    text: str
    sender_name: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    reply_context: dict[str, Any] = field(
        default_factory=dict
    )  # what sending back needs (thread, serviceUrl)


def normalise(channel: ChannelType, payload: dict[str, Any]) -> list[InboundMessage]:
    handler = {
        ChannelType.WHATSAPP: _whatsapp,
        ChannelType.MESSENGER: _messenger,
        ChannelType.INSTAGRAM: _messenger,
        ChannelType.TELEGRAM: _telegram,
        ChannelType.SLACK: _slack,
        ChannelType.TEAMS: _teams,
        ChannelType.CUSTOM: _custom,
    }.get(channel)
    return handler(payload) if handler else []


def _whatsapp(payload: dict[str, Any]) -> list[InboundMessage]:
    found = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            names = {
                c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts") or []
            }
            for message in value.get("messages") or []:
                kind = message.get("type")
                text = (message.get("text") or {}).get("body") if kind == "text" else None
                attachments = []
                if kind in ("image", "document", "audio", "video"):
                    media = message.get(kind) or {}
                    text = media.get("caption")
                    attachments.append(
                        {"type": kind, "mediaId": media.get("id"), "mimeType": media.get("mime_type")}
                    )
                if not (text or attachments):
                    continue
                sender = str(message.get("from"))
                found.append(
                    InboundMessage(
                        platform_message_id=str(message.get("id")),
                        conversation_key=sender,
                        sender_id=sender,
                        sender_name=names.get(sender),
                        text=text or "",
                        attachments=attachments,
                    )
                )
    return found


def _messenger(payload: dict[str, Any]) -> list[InboundMessage]:
    found = []
    for entry in payload.get("entry") or []:
        for event in entry.get("messaging") or []:
            message = event.get("message") or {}
            if not message or message.get("is_echo"):
                continue
            attachments = [
                {"type": a.get("type"), "url": (a.get("payload") or {}).get("url")}
                for a in message.get("attachments") or []
            ]
            text = message.get("text") or ""
            if not (text or attachments):
                continue
            sender = str((event.get("sender") or {}).get("id"))
            found.append(
                InboundMessage(
                    platform_message_id=str(message.get("mid")),
                    conversation_key=sender,
                    sender_id=sender,
                    text=text,
                    attachments=attachments,
                )
            )
    return found


def _telegram(payload: dict[str, Any]) -> list[InboundMessage]:
    message = payload.get("message") or {}
    text = message.get("text") or message.get("caption") or ""
    if not message or not text or (message.get("from") or {}).get("is_bot"):
        return []
    chat = str((message.get("chat") or {}).get("id"))
    sender = message.get("from") or {}
    name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")])) or sender.get(
        "username"
    )
    return [
        InboundMessage(
            platform_message_id=f"{chat}:{message.get('message_id')}",
            conversation_key=chat,
            sender_id=str(sender.get("id")),
            sender_name=name,
            text=text,
        )
    ]


def _slack(payload: dict[str, Any]) -> list[InboundMessage]:
    event = payload.get("event") or {}
    if payload.get("type") != "event_callback" or event.get("type") != "message":
        return []
    if event.get("bot_id") or event.get("subtype") or not event.get("text"):
        return []  # our own posts, edits, joins
    channel = str(event.get("channel"))
    return [
        InboundMessage(
            platform_message_id=str(payload.get("event_id") or event.get("client_msg_id") or event.get("ts")),
            conversation_key=channel,
            sender_id=str(event.get("user")),
            text=str(event.get("text")),
            reply_context={
                "channel": channel,
                **({"thread_ts": event["thread_ts"]} if event.get("thread_ts") else {}),
            },
        )
    ]


def _teams(payload: dict[str, Any]) -> list[InboundMessage]:
    if payload.get("type") != "message" or not payload.get("text"):
        return []
    sender = payload.get("from") or {}
    conversation = str((payload.get("conversation") or {}).get("id"))
    return [
        InboundMessage(
            platform_message_id=str(payload.get("id")),
            conversation_key=conversation,
            sender_id=str(sender.get("id")),
            sender_name=sender.get("name"),
            text=str(payload.get("text")),
            reply_context={"serviceUrl": payload.get("serviceUrl"), "conversationId": conversation},
        )
    ]


def _custom(payload: dict[str, Any]) -> list[InboundMessage]:
    sender = payload.get("sender") or {}
    if not payload.get("message_id") or not payload.get("text"):
        return []
    return [
        InboundMessage(
            platform_message_id=str(payload["message_id"]),
            conversation_key=str(payload.get("conversation_id") or sender.get("id")),
            sender_id=str(sender.get("id") or payload.get("conversation_id")),
            sender_name=sender.get("name"),
            text=str(payload["text"]),
        )
    ]
