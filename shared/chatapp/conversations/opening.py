"""A new conversation, on any channel: the row, the `conversation.created` event (one shape for
webhook consumers whichever channel it started on) and the agent's and customer's counters, all in
the caller's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from chatapp.conversations import counters
from chatapp.db.models.conversations import Conversation
from chatapp.webhooks import events


def open_conversation(db: Session, conversation: Conversation, customer_id: uuid.UUID | None) -> None:
    db.add(conversation)
    db.flush()
    if conversation.is_sandbox:  # a test run's: no webhook, no counter
        return
    events.emit(
        db,
        company_id=conversation.company_id,
        agent_id=conversation.agent_id,
        event_type="conversation.created",
        data={
            "conversation_id": conversation.id,
            "agent_id": conversation.agent_id,
            "channel": conversation.channel,
            "customer_id": conversation.customer_id,
            "customer_name": conversation.customer_name,
            "customer_email": conversation.customer_email,
            "started_at": conversation.started_at,
        },
    )
    counters.count_conversation(db, conversation.agent_id, customer_id)
