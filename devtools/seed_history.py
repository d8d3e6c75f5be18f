"""Past conversations for a demo company, so a fresh console has analytics to show.

Written straight to the database the way the engine leaves them (a customer question, an answer
with model and token metadata, some resolved, some handed to a person), then rolled up as the
scheduled analytics job would. Deterministic: conversation `i` of day `d` always looks the same.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.db.enums import ChannelType, ConversationStatus, EscalationStatus, MessageRole
from chatapp.db.models.conversations import Conversation, Escalation, Message
from chatapp.security import TokenKind, new_token

QUESTIONS = (
    "How long do I have to return shoes?",
    "Do you ship to Norway?",
    "Where is my order?",
    "Can I change my delivery address?",
    "I want to talk to a person, please.",
)
MODEL_METADATA = {"model": "claude-haiku-4-5", "tokens": {"input": 900, "output": 150}, "citations": []}


def add_conversations(
    db: Session, company_id: uuid.UUID, agent_id: uuid.UUID, *, at: datetime, count: int
) -> list[uuid.UUID]:
    """`count` conversations started in the hour before `at`: even ones resolved by the AI, every
    fifth one escalated to a person, the rest still open."""
    ids = []
    for index in range(count):
        started = at - timedelta(minutes=5 + index * 7)
        escalated = index % 5 == 4
        resolved = not escalated and index % 2 == 0
        conversation = Conversation(
            company_id=company_id,
            agent_id=agent_id,
            channel=ChannelType.WEB,
            session_token=new_token(TokenKind.WIDGET),
            status=ConversationStatus.RESOLVED
            if resolved
            else ConversationStatus.WAITING_HUMAN
            if escalated
            else ConversationStatus.ACTIVE,
            customer_name=f"Visitor {index + 1}",
            started_at=started,
            created_at=started,
            last_message_at=started + timedelta(seconds=6),
            resolved_at=started + timedelta(minutes=3) if resolved else None,
        )
        db.add(conversation)
        db.flush()
        question = QUESTIONS[index % len(QUESTIONS)]
        db.add_all(
            [
                Message(
                    conversation_id=conversation.id,
                    role=MessageRole.USER,
                    content=question,
                    created_at=started,
                ),
                Message(
                    conversation_id=conversation.id,
                    role=MessageRole.ASSISTANT,
                    content="Here is what I found in our help pages.",
                    created_at=started + timedelta(seconds=6),
                    metadata_=MODEL_METADATA,
                ),
            ]
        )
        if escalated:
            db.add(
                Escalation(
                    company_id=company_id,
                    agent_id=agent_id,
                    conversation_id=conversation.id,
                    reason="The customer asked for a person",
                    trigger_type="explicit_request",
                    status=EscalationStatus.PENDING,
                    created_at=started + timedelta(seconds=6),
                )
            )
        ids.append(conversation.id)
    return ids


def seed_history(
    db: Session, company_id: uuid.UUID, agent_id: uuid.UUID, *, days: int = 14, now: datetime | None = None
) -> list[date]:
    """Two weeks of conversations for a company that has none yet; returns the days to roll up."""
    if db.scalar(select(func.count(Conversation.id)).where(Conversation.company_id == company_id)):
        return []
    now = now or datetime.now(UTC)
    written = []
    for days_ago in range(days, 0, -1):
        at = now - timedelta(days=days_ago)
        add_conversations(db, company_id, agent_id, at=at, count=3 + (days_ago * 7) % 6)
        written.append(at.date())
    return written
