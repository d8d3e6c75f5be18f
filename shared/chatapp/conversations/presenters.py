"""What a customer may see of a message, whichever surface shows it (the widget, the public API):
never the storage keys of its attachments, nor the model's tool calls and scores."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from chatapp.db.models.conversations import Message


def customer_view(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "role": message.role.value,
        "content": message.content,
        "created_at": message.created_at,
        "sender_name": (message.metadata_ or {}).get("senderName"),
        "attachments": [{k: v for k, v in a.items() if k != "key"} for a in message.attachments or []],
    }


def live_view(message: Message) -> dict[str, Any]:
    """`customer_view` as a socket frame carries it: the JSON the API would send (no citations on a
    person's message)."""
    view: dict[str, Any] = _JSON.dump_python(customer_view(message), mode="json")
    return {**view, "citations": []}


_JSON = TypeAdapter(dict[str, Any])
