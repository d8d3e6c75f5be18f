"""Streamed answers for the widget (docs/realtime.md): the one-time ticket a widget opens its
socket with, and the worker that streams an answer to the conversation's open sockets."""

from __future__ import annotations

import uuid
from typing import Any

from chatapp.config import get_settings
from chatapp.conversations import turns
from chatapp.db.models.conversations import Message
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import NotFound
from chatapp.observability import correlate
from chatapp.realtime import connections, tickets
from chatapp.realtime.frames import AnswerFrames
from chatapp.realtime.schemas import RealtimeTicketOut
from chatapp.surfaces.widget import present, session_conversation
from chatapp.surfaces.widget_origins import company_context, require_origin


def issue_ticket(agent_id: uuid.UUID, token: str | None, origin: str | None) -> RealtimeTicketOut:
    require_origin(agent_id, origin, required=False)
    url = get_settings().realtime_url
    if not url:
        raise NotFound("Real time is not switched on here; poll for messages.", code="realtime_unavailable")
    with tenant_session(company_context(agent_id)) as db:
        conversation = session_conversation(db, agent_id, token)
        ticket, lifetime = tickets.issue(db, conversation.company_id, conversation.id, agent_id)
    return RealtimeTicketOut(ticket=ticket, url=url, expires_in=lifetime)


def stream_answer(company_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    """Answer a customer message stored by `send_message`, frame by frame to the conversation's
    sockets; False if there was nothing to answer. Idempotent: a message that already has its reply
    is not answered again, and its sockets get that reply as `answer.done` (every 202 ends with one)."""
    correlate(company_id=company_id, conversation_id=conversation_id)
    with tenant_session(TenantContext.company_service(company_id)) as db:
        stored = turns.resume(db, conversation_id, message_id)
        sockets = connections.for_conversation(db, conversation_id)
    frames = AnswerFrames(sockets, reply_to=str(message_id))
    try:
        if stored is None:
            _done_with_stored_reply(frames, company_id, conversation_id, message_id)
            return False
        outcome = turns.answer(stored, frames)
        reply = outcome.messages[-1] if len(outcome.messages) > 1 else None
        stream = (reply.metadata_ or {}).get("stream") if reply is not None else None
        if stream and stream.get("interrupted"):
            frames.error("answer_interrupted", "The answer broke off; here is what we can say instead.")
        frames.done(_view(reply), outcome.status, outcome.escalated)
        return True
    finally:
        frames.close()


def give_up_answer(company_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID) -> None:
    """Answering failed: end the widget's wait (the stored messages still tell the rest)."""
    frames = AnswerFrames(_sockets(company_id, conversation_id), reply_to=str(message_id))
    frames.error("answer_failed", "Sorry, we could not answer just now. Please try again.")
    frames.done(None, "active", False)
    frames.close()


def _sockets(company_id: uuid.UUID, conversation_id: uuid.UUID) -> list[str]:
    with tenant_session(TenantContext.company_service(company_id)) as db:
        return connections.for_conversation(db, conversation_id)


def _done_with_stored_reply(
    frames: AnswerFrames, company_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID
) -> None:
    with tenant_session(TenantContext.company_service(company_id)) as db:
        found = turns.reply_after(db, conversation_id, message_id)
        if found is not None:  # else the message was never stored: nobody waits for an answer
            reply, status = found
            frames.done(_view(reply), status, False)


def _view(reply: Message | None) -> dict[str, Any] | None:
    return present(reply).model_dump(mode="json") if reply is not None else None
