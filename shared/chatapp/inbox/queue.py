"""The human inbox: the escalation queue, taking over conversations, replying, resolving, handing
back to the AI, internal notes and support agents' presence.

Who may do what: company admins everything in their company; support agents the conversations
row-level security shows them (assigned to them, or unassigned) and only their own seat. Every
object is fetched by id inside the caller's tenant transaction, so another company's ids are
simply not found. Claims are one conditional UPDATE: of two agents claiming at once, one wins.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, case, cast, or_, select, update
from sqlalchemy.orm import Session

from chatapp.access.principals import Principal
from chatapp.agents.management import get_agent
from chatapp.billing import usage
from chatapp.companies import presence as agent_presence
from chatapp.conversations import counters, inbox_events, message_pages
from chatapp.conversations.escalation_rules import Trigger
from chatapp.conversations.escalations import OPEN_STATUSES, escalate, open_escalation
from chatapp.conversations.lookup import conversation_by_id
from chatapp.conversations.presenters import live_view
from chatapp.db.enums import ChannelType, ConversationStatus, EscalationStatus, MessageRole, UserRole
from chatapp.db.models.conversations import Conversation, ConversationNote, Escalation, Message
from chatapp.db.models.core import User
from chatapp.db.models.team import SupportAgentStatus
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, Forbidden, InvalidInput, NotFound
from chatapp.inbox import suggestion_outcomes
from chatapp.inbox.canned_responses import expand_shortcuts
from chatapp.inbox.schemas import (
    ConversationDetailOut,
    ConversationSummaryOut,
    EscalationOut,
    InboxMessageOut,
    NoteOut,
    PresenceIn,
    PresenceOut,
)
from chatapp.inbox.staff import is_admin, require_owner_or_admin, require_staff
from chatapp.integrations import queues
from chatapp.realtime import connections, push
from chatapp.webhooks import events

_PRIORITY_ORDER = case(
    {"urgent": 0, "high": 1, "medium": 2, "low": 3}, value=cast(Escalation.priority, String), else_=4
)


def _escalation(db: Session, escalation_id: uuid.UUID) -> Escalation:
    escalation = owned(db, Escalation, escalation_id)
    if escalation is None:
        raise NotFound("No such escalation.", code="escalation_not_found")
    return escalation


def _seconds_since(moment: datetime, now: datetime) -> int:
    return max(0, int((now - moment).total_seconds()))


# ---------------------------------------------------------------- the queue


def list_queue(principal: Principal, status: EscalationStatus | None = None) -> list[EscalationOut]:
    require_staff(principal)
    with tenant_session(principal.context()) as db:
        query = select(Escalation).where(
            Escalation.status == status if status else Escalation.status.in_(OPEN_STATUSES)
        )
        rows = db.scalars(query.order_by(_PRIORITY_ORDER, Escalation.created_at).limit(200)).all()
        return [EscalationOut.model_validate(row) for row in rows]


def claim(principal: Principal, escalation_id: uuid.UUID, now: datetime | None = None) -> EscalationOut:
    me = require_staff(principal)
    now = now or datetime.now(UTC)
    with tenant_session(principal.context()) as db:
        escalation = _escalation(db, escalation_id)
        agent_presence.ensure_status(db, escalation.company_id, me)
        if not agent_presence.take_seat(db, me):
            raise Conflict("You are at your maximum number of chats.", code="at_capacity")
        claimed = db.execute(
            update(Escalation)
            .where(Escalation.id == escalation.id, Escalation.status == EscalationStatus.PENDING)
            .values(assigned_to=me, assigned_by=me, status=EscalationStatus.ASSIGNED, updated_at=now)
            .returning(Escalation.id)
        ).first()
        if claimed is None:
            raise Conflict("Someone else took this conversation first.", code="escalation_taken")
        _hand_to(db, escalation.conversation_id, me)
        db.refresh(escalation)
        inbox_events.escalation_changed(db, escalation, "escalation.assigned")
        return EscalationOut.model_validate(escalation)


def _hand_to(db: Session, conversation_id: uuid.UUID, user_id: uuid.UUID) -> None:
    conversation = conversation_by_id(db, conversation_id, lock=True)
    conversation.assigned_agent_id = user_id
    conversation.is_human_agent = True
    conversation.status = ConversationStatus.WITH_HUMAN


def transfer(principal: Principal, escalation_id: uuid.UUID, to_user: uuid.UUID) -> EscalationOut:
    me = require_staff(principal)
    with tenant_session(principal.context()) as db:
        escalation = _escalation(db, escalation_id)
        if escalation.status not in OPEN_STATUSES:
            raise Conflict("This escalation is closed.", code="escalation_closed")
        if not is_admin(principal) and escalation.assigned_to != me:
            raise Forbidden(
                "Only its agent or an admin can transfer a conversation.", code="not_your_conversation"
            )
        target = owned(db, User, to_user)
        if target is None or target.deleted_at is not None or target.company_id != escalation.company_id:
            raise NotFound("No such team member.", code="user_not_found")
        if target.role not in (UserRole.SUPPORT_AGENT, UserRole.COMPANY_ADMIN) or not target.is_active:
            raise InvalidInput("Conversations go to active support agents or admins.", code="not_an_agent")
        agent_presence.ensure_status(db, escalation.company_id, target.id)
        if not agent_presence.take_seat(db, target.id):
            raise Conflict("That agent is at their maximum number of chats.", code="target_at_capacity")
        agent_presence.free_seat(db, escalation.assigned_to)
        previous = escalation.assigned_to
        escalation.assigned_to, escalation.assigned_by = target.id, me
        escalation.status = EscalationStatus.ASSIGNED
        _hand_to(db, escalation.conversation_id, target.id)
        db.flush()
        inbox_events.escalation_changed(
            db,
            escalation,
            "escalation.assigned",
            previous_assignee=previous if previous != target.id else None,
        )
        return EscalationOut.model_validate(escalation)


# ---------------------------------------------------------------- conversations


def reply(
    principal: Principal,
    conversation_id: uuid.UUID,
    content: str,
    now: datetime | None = None,
    suggestion_id: uuid.UUID | None = None,
) -> InboxMessageOut:
    """A human's reply, pushed to the widget's open socket (or found by its polling). Replying to a
    conversation nobody owns takes it: it never looks unowned while a person talks in it.
    `suggestion_id` names the copilot suggestion the reply started from (docs/copilot.md)."""
    me = require_staff(principal)
    now = now or datetime.now(UTC)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id, lock=True)
        require_owner_or_admin(principal, conversation)
        escalation = open_escalation(db, conversation.id)
        if conversation.assigned_agent_id is None:
            if escalation is None:  # a person steps into an AI conversation
                escalation = escalate(db, conversation, Trigger("manual", "A team member joined"))
            if escalation.assigned_to is None:
                agent_presence.ensure_status(db, conversation.company_id, me)
                agent_presence.take_seat(db, me)  # a person who steps in is never refused a seat
                escalation.assigned_to, escalation.assigned_by = me, me
                escalation.status = EscalationStatus.IN_PROGRESS
                inbox_events.escalation_changed(db, escalation, "escalation.assigned")
            _hand_to(db, conversation.id, escalation.assigned_to or me)
        elif escalation is not None and escalation.status is EscalationStatus.ASSIGNED:
            escalation.status = EscalationStatus.IN_PROGRESS
        if escalation is not None and escalation.wait_time is None:
            escalation.wait_time = _seconds_since(escalation.created_at, now)
        author = db.get(User, me)
        content = expand_shortcuts(
            db,
            content,
            conversation.agent_id,
            {
                "customer_name": conversation.customer_name,
                "agent_name": author.name if author else None,
            },
        )
        message = add_human_message(
            db,
            conversation,
            content,
            sender_id=me,
            metadata={"senderName": (author.name if author else None) or "Support"},
            now=now,
        )
        suggestion_outcomes.settle(db, conversation.id, suggestion_id, message, now)
        reply_out = _present(message)
        company_id, channel = conversation.company_id, conversation.channel
        sockets = connections.for_conversation(db, conversation.id) if channel is ChannelType.WEB else []
        frame = {"type": "message", "message": live_view(message)}
    if channel is not ChannelType.WEB:  # other channels get the reply pushed by their worker
        queues.send_channel_delivery(company_id, reply_out.id)
    push.post(sockets, frame)  # the widget's open socket, if any; without one it polls
    return reply_out


def add_human_message(
    db: Session,
    conversation: Conversation,
    content: str,
    *,
    sender_id: uuid.UUID | None,
    metadata: dict[str, Any],
    now: datetime,
) -> Message:
    """A person's message in a conversation (inbox or the public API), with the counters and usage
    that go with it, inside the caller's transaction."""
    message = Message(
        conversation_id=conversation.id,
        role=MessageRole.HUMAN_AGENT,
        content=content,
        sender_id=sender_id,
        metadata_=metadata,
        created_at=now,
    )
    db.add(message)
    counters.count_message(db, conversation, MessageRole.HUMAN_AGENT, now)
    usage.record(db, conversation.company_id, conversation.agent_id, messages=1)
    db.flush()
    inbox_events.message_added(db, conversation, message)
    return message


def resolve(
    principal: Principal, conversation_id: uuid.UUID, notes: str | None, now: datetime | None = None
) -> ConversationSummaryOut:
    return _close(principal, conversation_id, EscalationStatus.RESOLVED, notes, now)


def return_to_ai(
    principal: Principal, conversation_id: uuid.UUID, now: datetime | None = None
) -> ConversationSummaryOut:
    return _close(principal, conversation_id, EscalationStatus.RETURNED_TO_AI, None, now)


def _close(
    principal: Principal,
    conversation_id: uuid.UUID,
    outcome: EscalationStatus,
    notes: str | None,
    now: datetime | None,
) -> ConversationSummaryOut:
    require_staff(principal)
    now = now or datetime.now(UTC)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id, lock=True)
        require_owner_or_admin(principal, conversation)
        escalation = open_escalation(db, conversation.id)
        if escalation is not None:
            escalation.status = outcome
            escalation.resolution_notes = notes
            escalation.resolved_at = now
            escalation.handle_time = _seconds_since(escalation.created_at, now)
            agent_presence.free_seat(db, escalation.assigned_to)
            inbox_events.escalation_changed(db, escalation, "escalation.closed")
        if outcome is EscalationStatus.RESOLVED:
            conversation.status = ConversationStatus.RESOLVED
            conversation.resolved_at = now
            events.emit(
                db,
                company_id=conversation.company_id,
                agent_id=conversation.agent_id,
                event_type="conversation.resolved",
                data={"conversation_id": conversation.id, "resolved_at": now, "resolved_by": "human"},
            )
        else:
            conversation.status = ConversationStatus.ACTIVE
            conversation.assigned_agent_id = None
        conversation.is_human_agent = False
        suggestion_outcomes.ignore_open(db, conversation.id, now)
        db.flush()
        return ConversationSummaryOut.model_validate(conversation)


def list_conversations(
    principal: Principal,
    *,
    status: ConversationStatus | None = None,
    agent_id: uuid.UUID | None = None,
    channel: str | None = None,
    assigned: str | None = None,
    search: str | None = None,
    limit: int = 50,
) -> list[ConversationSummaryOut]:
    me = require_staff(principal)
    with tenant_session(principal.context()) as db:
        query = select(Conversation).where(
            Conversation.deleted_at.is_(None), Conversation.is_sandbox.is_(False)
        )
        if agent_id:
            get_agent(db, agent_id)  # a filter's id is checked like a path's
        if status:
            query = query.where(Conversation.status == status)
        if agent_id:
            query = query.where(Conversation.agent_id == agent_id)
        if channel:
            query = query.where(cast(Conversation.channel, String) == channel)
        if assigned == "me":
            query = query.where(Conversation.assigned_agent_id == me)
        elif assigned == "unassigned":
            query = query.where(Conversation.assigned_agent_id.is_(None))
        if search:
            pattern = f"%{search.strip()}%"
            query = query.where(
                or_(
                    Conversation.customer_name.ilike(pattern),
                    Conversation.customer_email.ilike(pattern),
                    Conversation.customer_phone.ilike(pattern),
                )
            )
        rows = db.scalars(query.order_by(Conversation.last_message_at.desc()).limit(limit)).all()
        return [ConversationSummaryOut.model_validate(row) for row in rows]


def conversation_detail(
    principal: Principal,
    conversation_id: uuid.UUID,
    *,
    before: str | None = None,
    limit: int = message_pages.DEFAULT_PAGE,
) -> ConversationDetailOut:
    """The conversation with its latest page of messages; `before` pages back through older ones."""
    require_staff(principal)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id)
        page = message_pages.latest_messages(db, conversation.id, before=before, limit=limit)
        notes = db.scalars(
            select(ConversationNote)
            .where(ConversationNote.conversation_id == conversation.id)
            .order_by(ConversationNote.created_at)
        ).all()
        escalations = db.scalars(
            select(Escalation)
            .where(Escalation.conversation_id == conversation.id)
            .order_by(Escalation.created_at)
        ).all()
        summary = ConversationSummaryOut.model_validate(conversation).model_dump()
        return ConversationDetailOut(
            **summary,
            summary=conversation.summary,
            context=conversation.context or {},
            average_sentiment=_float(conversation.average_sentiment),
            messages=[_present(m) for m in page.messages],
            messages_cursor=page.older,
            notes=[NoteOut.model_validate(n) for n in notes],
            escalations=[EscalationOut.model_validate(e) for e in escalations],
        )


def add_note(principal: Principal, conversation_id: uuid.UUID, content: str) -> NoteOut:
    me = require_staff(principal)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id)
        note = ConversationNote(conversation_id=conversation.id, user_id=me, content=content)
        db.add(note)
        db.flush()
        db.refresh(note)
        return NoteOut.model_validate(note)


# ---------------------------------------------------------------- presence


def update_presence(principal: Principal, data: PresenceIn, now: datetime | None = None) -> PresenceOut:
    me = require_staff(principal)
    assert principal.company_id is not None
    with tenant_session(principal.context()) as db:
        status = agent_presence.set_status(
            db,
            principal.company_id,
            me,
            presence=data.status,
            message=data.status_message,
            max_chats=data.max_concurrent_chats,
            now=now or datetime.now(UTC),
        )
        db.flush()
        return PresenceOut.model_validate(status)


def heartbeat(principal: Principal, now: datetime | None = None) -> PresenceOut:
    me = require_staff(principal)
    assert principal.company_id is not None
    with tenant_session(principal.context()) as db:
        status = agent_presence.heartbeat(db, principal.company_id, me, now or datetime.now(UTC))
        db.flush()
        return PresenceOut.model_validate(status)


def team_presence(principal: Principal, now: datetime | None = None) -> list[PresenceOut]:
    require_staff(principal)
    assert principal.company_id is not None
    with tenant_session(principal.context()) as db:
        agent_presence.mark_idle_away(db, principal.company_id, now or datetime.now(UTC))
        rows = db.scalars(select(SupportAgentStatus).order_by(SupportAgentStatus.status)).all()
        return [PresenceOut.model_validate(row) for row in rows]


def _present(message: Message) -> InboxMessageOut:
    return InboxMessageOut(
        id=message.id,
        role=message.role.value,
        content=message.content,
        sender_id=message.sender_id,
        created_at=message.created_at,
        attachments=list(message.attachments or []),
        tool_calls=list(message.tool_calls or []),
        metadata=dict(message.metadata_ or {}),
        sentiment=_float(message.sentiment),
    )


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
