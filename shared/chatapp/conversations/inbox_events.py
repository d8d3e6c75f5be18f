"""What the live inbox hears about conversations (docs/realtime.md): new messages and escalations
as they are created, assigned and closed. Each is published in the caller's transaction and leaves
after it commits (chatapp/realtime/live.py decides who may see it)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Conversation, Escalation, Message
from chatapp.realtime import live


def message_added(db: Session, conversation: Conversation, message: Message) -> None:
    if conversation.is_sandbox:  # a test run's: never in the inbox
        return
    live.publish(
        db,
        conversation.company_id,
        "message.created",
        {
            "message": {
                "id": str(message.id),
                "role": message.role.value,
                "content": message.content,
                "sender_id": str(message.sender_id) if message.sender_id else None,
                "created_at": message.created_at.isoformat(),
            },
            "status": conversation.status.value,
        },
        conversation_id=conversation.id,
    )


def escalation_changed(
    db: Session, escalation: Escalation, event_type: str, *, previous_assignee: uuid.UUID | None = None
) -> None:
    """`event_type`: escalation.created, escalation.assigned or escalation.closed."""
    live.publish(
        db,
        escalation.company_id,
        event_type,
        {"escalation": escalation_view(escalation)},
        conversation_id=escalation.conversation_id,
        previous_assignee=previous_assignee,
    )


def escalation_view(escalation: Escalation) -> dict[str, Any]:
    return {
        "id": str(escalation.id),
        "conversation_id": str(escalation.conversation_id),
        "agent_id": str(escalation.agent_id),
        "assigned_to": str(escalation.assigned_to) if escalation.assigned_to else None,
        "reason": escalation.reason,
        "trigger_type": escalation.trigger_type,
        "priority": _plain(escalation.priority),
        "status": _plain(escalation.status),
        "created_at": escalation.created_at.isoformat() if escalation.created_at else None,
    }


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
