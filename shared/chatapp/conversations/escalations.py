"""Escalations: hand a conversation to the company's people and keep the AI quiet until it returns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp import observability
from chatapp.companies.presence import pick_agent
from chatapp.conversations import inbox_events
from chatapp.conversations.escalation_rules import Trigger
from chatapp.db.enums import ConversationStatus, EscalationStatus
from chatapp.db.models.conversations import Conversation, Escalation
from chatapp.webhooks import events

OPEN_STATUSES = (EscalationStatus.PENDING, EscalationStatus.ASSIGNED, EscalationStatus.IN_PROGRESS)


def open_escalation(db: Session, conversation_id: uuid.UUID) -> Escalation | None:
    return db.scalar(
        select(Escalation).where(
            Escalation.conversation_id == conversation_id, Escalation.status.in_(OPEN_STATUSES)
        )
    )


def escalate(
    db: Session, conversation: Conversation, trigger: Trigger, message_id: uuid.UUID | None = None
) -> Escalation:
    """Queue the conversation for a person (once: a second trigger joins the open escalation)."""
    existing = open_escalation(db, conversation.id)
    if conversation.status is ConversationStatus.ACTIVE:
        conversation.status = ConversationStatus.WAITING_HUMAN
    if existing is not None:
        return existing
    escalation = Escalation(
        conversation_id=conversation.id,
        company_id=conversation.company_id,
        agent_id=conversation.agent_id,
        reason=trigger.reason[:255],
        trigger_type=trigger.type,
        trigger_details={**trigger.details, **({"messageId": str(message_id)} if message_id else {})},
        priority=trigger.priority,
    )
    db.add(escalation)
    db.flush()
    observability.count("Escalations")
    events.emit(
        db,
        company_id=conversation.company_id,
        agent_id=conversation.agent_id,
        event_type="escalation.created",
        data={
            "escalation_id": escalation.id,
            "conversation_id": conversation.id,
            "trigger_type": escalation.trigger_type,
            "reason": escalation.reason,
            "priority": escalation.priority,
        },
    )
    inbox_events.escalation_changed(db, escalation, "escalation.created")
    assign_automatically(db, conversation, escalation)
    return escalation


def assign_automatically(db: Session, conversation: Conversation, escalation: Escalation) -> None:
    """Hand the conversation to the least-loaded online agent with room, if there is one."""
    now = datetime.now(UTC)
    assignee = pick_agent(db, conversation.company_id, now)
    if assignee is None:
        return  # stays in the queue for a claim
    escalation.assigned_to = assignee
    escalation.status = EscalationStatus.ASSIGNED
    conversation.assigned_agent_id = assignee
    conversation.is_human_agent = True
    conversation.status = ConversationStatus.WITH_HUMAN
    inbox_events.escalation_changed(db, escalation, "escalation.assigned")
