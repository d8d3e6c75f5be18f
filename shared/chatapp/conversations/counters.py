"""The counters kept beside conversations: bumped here and nowhere else, always inside the
transaction that adds what they count, so they commit or roll back with it.

A conversation counts its messages (and the AI's and people's among them); its agent counts
messages and conversations; a known customer counts conversations.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from chatapp.db.enums import MessageRole
from chatapp.db.models.agents import Agent
from chatapp.db.models.conversations import Conversation, Customer


def count_message(db: Session, conversation: Conversation, role: MessageRole, at: datetime) -> None:
    """`conversation` must be locked (or new) in `db`: its counters are read and written here."""
    conversation.message_count = (conversation.message_count or 0) + 1
    if role is MessageRole.ASSISTANT:
        conversation.ai_message_count = (conversation.ai_message_count or 0) + 1
    elif role is MessageRole.HUMAN_AGENT:
        conversation.human_message_count = (conversation.human_message_count or 0) + 1
    conversation.last_message_at = at
    if conversation.is_sandbox:  # a test run's message: the agent's totals count customers'
        return
    db.execute(
        update(Agent)
        .where(Agent.id == conversation.agent_id)
        .values(total_messages=func.coalesce(Agent.total_messages, 0) + 1)
        .execution_options(synchronize_session=False)  # nobody reads the loaded agent's total after
    )


def count_conversation(db: Session, agent_id: uuid.UUID, customer_id: uuid.UUID | None) -> None:
    db.execute(
        update(Agent)
        .where(Agent.id == agent_id)
        .values(total_conversations=func.coalesce(Agent.total_conversations, 0) + 1)
        .execution_options(synchronize_session=False)
    )
    if customer_id is not None:
        db.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(
                total_conversations=func.coalesce(Customer.total_conversations, 0) + 1,
                last_conversation_at=datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        )
