"""The public widget API's rules: who may start a conversation, and what a visitor may do in it.

A visitor is anonymous; what they hold is a conversation session token (`bzw_...`, stored as a
SHA-256 digest in `conversations.session_token`) bound to one agent and one conversation. Every
query runs in the agent's company's tenant context, so a token can never reach another
company's data, and is matched together with the agent id from the path.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp import languages
from chatapp.access import rate_limits
from chatapp.agents.widget_configs import widget_for_agent
from chatapp.billing.quotas import effective_limits, require_attachment_storage_for
from chatapp.companies.presence import free_seat
from chatapp.companies.status import CUSTOMER_NOTICE, require_serving
from chatapp.config import get_settings
from chatapp.conversations import customers, escalation_rules, turns, visitor_identity
from chatapp.conversations.escalations import escalate, open_escalation
from chatapp.conversations.opening import open_conversation
from chatapp.conversations.presenters import customer_view
from chatapp.conversations.visitor_identity import Trust
from chatapp.db import keyset
from chatapp.db.enums import AgentStatus, ChannelType, ConversationStatus, EscalationStatus, MessageRole
from chatapp.db.models.agents import Agent
from chatapp.db.models.conversations import Conversation, Message
from chatapp.db.models.core import Company
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, Forbidden, InvalidInput, LimitExceeded, NotFound, Unauthenticated
from chatapp.integrations import invocations, storage
from chatapp.observability import logger
from chatapp.realtime import connections
from chatapp.security import TokenKind, new_token, token_digest, token_kind
from chatapp.surfaces.widget_origins import company_context, require_origin
from chatapp.surfaces.widget_schemas import (
    AttachmentRequestIn,
    AttachmentTicketOut,
    CitationOut,
    EndConversationIn,
    MessageOut,
    MessagesOut,
    SendMessageIn,
    SendMessageOut,
    StartConversationIn,
    StartConversationOut,
    WidgetPublicConfigOut,
)
from chatapp.webhooks import events

# Messages committed by slower concurrent transactions can carry earlier timestamps; polls re-send
# this much overlap and the widget de-duplicates by message id, so nothing is ever skipped.
POLL_OVERLAP = timedelta(seconds=10)
ATTACHMENT_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
VISIBLE_ROLES = (MessageRole.USER, MessageRole.ASSISTANT, MessageRole.HUMAN_AGENT)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _live_agent(db: Session, agent_id: uuid.UUID) -> Agent:
    agent = owned(db, Agent, agent_id)
    if agent is None or agent.deleted_at is not None:
        raise NotFound("No such agent.", code="agent_not_found")
    return agent


def public_config(agent_id: uuid.UUID, origin: str | None) -> WidgetPublicConfigOut:
    require_origin(agent_id, origin, required=False)
    with tenant_session(company_context(agent_id)) as db:
        agent = _live_agent(db, agent_id)
        widget = widget_for_agent(db, agent_id)
        if widget is None:
            raise NotFound("This agent has no widget.", code="widget_not_found")
        accepting = agent.status is AgentStatus.ACTIVE and _can_chat(db, agent.company_id)
        return WidgetPublicConfigOut.model_validate(
            {
                **{k: getattr(widget, k) for k in WidgetPublicConfigOut.model_fields if hasattr(widget, k)},
                "agent_id": agent.id,
                "agent_name": agent.name,
                "accepting_messages": accepting,
            }
        )


def _can_chat(db: Session, company_id: uuid.UUID) -> bool:
    try:
        require_serving(db, company_id)
    except (LimitExceeded, Forbidden):
        return False
    return True


def _company(db: Session, company_id: uuid.UUID) -> Company:
    company = db.get(Company, company_id)
    if company is None:
        raise NotFound("No such agent.", code="agent_not_found")
    return company


def start_conversation(
    agent_id: uuid.UUID, origin: str | None, client_ip: str, body: StartConversationIn
) -> StartConversationOut:
    require_origin(agent_id, origin, required=True)
    token = new_token(TokenKind.WIDGET)
    with tenant_session(company_context(agent_id)) as db:
        rate_limits.enforce(_ip_limit(client_ip), db=db)
        agent = _answering_agent(db, agent_id)
        conversation, customer_id = _web_conversation(db, agent, token, body, origin)
        open_conversation(db, conversation, customer_id)
        _welcome(db, conversation)
        return StartConversationOut(
            conversation_id=conversation.id,
            session_token=token,
            expires_at=datetime.now(UTC) + timedelta(hours=get_settings().widget_session_ttl_hours),
            status=conversation.status,
            messages=_messages(db, conversation.id, None),
        )


def _answering_agent(db: Session, agent_id: uuid.UUID) -> Agent:
    agent = _live_agent(db, agent_id)
    if agent.status is not AgentStatus.ACTIVE:
        raise Conflict("This assistant is not available right now.", code="agent_unavailable")
    require_serving(db, agent.company_id)  # suspended, or without a live subscription: no chat
    return agent


def _web_conversation(
    db: Session, agent: Agent, token: str, body: StartConversationIn, origin: str | None
) -> tuple[Conversation, uuid.UUID | None]:
    """The visitor's conversation, with who they are as far as the company's signature vouches."""
    claimed = body.customer
    trust = visitor_identity.trust(_company(db, agent.company_id), claimed)
    if trust is Trust.REJECTED:
        claimed = None  # unsigned while the company requires signatures: an anonymous visitor
    customer = customers.match_or_create(db, agent.company_id, claimed, verified=trust is Trust.VERIFIED)
    identity = claimed.model_dump(exclude_none=True, exclude={"metadata", "user_hash"}) if claimed else {}
    conversation = Conversation(
        company_id=agent.company_id,
        agent_id=agent.id,
        session_token=token_digest(token),
        channel=ChannelType.WEB,
        customer_id=str(customer.id) if customer else None,
        customer_name=identity.get("name"),
        customer_email=identity.get("email"),
        customer_phone=identity.get("phone"),
        customer_metadata=claimed.metadata if claimed else {},
        language=languages.normalized(body.lang),
        context={
            "customer": identity,
            **({"identity": trust.value} if trust else {}),
            "page": body.page.model_dump(exclude_none=True) if body.page else {},
            "origin": origin,
        },
    )
    return conversation, customer.id if customer is not None else None


def _welcome(db: Session, conversation: Conversation) -> None:
    widget = widget_for_agent(db, conversation.agent_id)
    if widget is not None and widget.welcome_message:
        db.add(
            Message(
                conversation_id=conversation.id,
                role=MessageRole.ASSISTANT,
                content=widget.welcome_message,
                metadata_={"kind": "welcome"},
            )
        )
        db.flush()


def session_conversation(
    db: Session, agent_id: uuid.UUID, token: str | None, *, lock: bool = False
) -> Conversation:
    if not token or token_kind(token) is not TokenKind.WIDGET:
        raise Unauthenticated("This chat session is missing or not valid; start a new conversation.")
    found = select(Conversation).where(
        Conversation.session_token == token_digest(token),
        Conversation.agent_id == agent_id,
        Conversation.deleted_at.is_(None),
    )
    conversation = db.scalar(found.with_for_update() if lock else found)
    ttl = timedelta(hours=get_settings().widget_session_ttl_hours)
    if conversation is None or conversation.started_at + ttl < datetime.now(UTC):
        raise Unauthenticated("This chat session has expired; start a new conversation.")
    return conversation


def _ip_limit(client_ip: str) -> rate_limits.Limit:
    return rate_limits.Limit(f"widget:ip:{client_ip}", get_settings().widget_rate_per_ip)


def send_message(
    agent_id: uuid.UUID, token: str | None, origin: str | None, client_ip: str, body: SendMessageIn
) -> SendMessageOut:
    require_origin(agent_id, origin, required=False)
    try:
        # One transaction finds the session, counts its rate and stores the message: the turn's
        # lock on the conversation row is taken by the lookup itself.
        with tenant_session(company_context(agent_id)) as db:
            conversation = session_conversation(db, agent_id, token, lock=True)
            rate_limits.enforce(
                _ip_limit(client_ip),
                rate_limits.Limit(
                    f"widget:conversation:{conversation.id}",
                    get_settings().widget_rate_per_session,
                    "You're sending messages very quickly. Please wait a moment.",
                ),
                db=db,
            )
            attachments = _claimed_attachments(db, conversation, body.attachment_keys)
            # With a socket open, the streaming worker starts now, while the message is stored: it
            # waits on this transaction's lock on the conversation, then finds the message (or, if
            # this transaction rolls back, nothing to answer).
            message_id = uuid.uuid4()
            streaming = _has_socket(db, conversation.id) and _answer_on_socket(
                conversation.company_id, conversation.id, message_id
            )
            stored = turns.store_customer_message(
                db, conversation, body.content, attachments, prepare=not streaming, message_id=message_id
            )
    except LimitExceeded as error:
        # The visitor gets a kind refusal (no plan details); the company admin sees the reason in
        # their usage page.
        raise LimitExceeded(CUSTOMER_NOTICE, code=error.code) from None
    if streaming and stored.answerable:
        return _sent(stored.outcome, streaming=True)
    return _sent(turns.answer(stored))


def _has_socket(db: Session, conversation_id: uuid.UUID) -> bool:
    return bool(get_settings().realtime_url) and bool(connections.for_conversation(db, conversation_id))


def _answer_on_socket(company_id: uuid.UUID, conversation_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    """Start the streaming worker; False (answer here) if it cannot be started."""
    try:
        invocations.start_answer(company_id, conversation_id, message_id)
    except Exception as error:  # the customer still gets an answer, the slow way
        logger.warning("answer worker unavailable", extra={"error_type": type(error).__name__})
        return False
    return True


def _sent(outcome: turns.TurnOutcome, *, streaming: bool = False) -> SendMessageOut:
    messages = [present(message) for message in outcome.messages]
    return SendMessageOut(
        status=outcome.status,
        messages=messages,
        cursor=keyset.encode_moment(max((m.created_at for m in messages), default=None)),
        escalated=outcome.escalated,
        streaming=streaming,
    )


def list_messages(
    agent_id: uuid.UUID, token: str | None, origin: str | None, after: str | None
) -> MessagesOut:
    require_origin(agent_id, origin, required=False)
    since = keyset.decode_moment(after)
    with tenant_session(company_context(agent_id)) as db:
        conversation = session_conversation(db, agent_id, token)
        messages = _messages(db, conversation.id, since)
        newest = max((m.created_at for m in messages), default=since)
        return MessagesOut(status=conversation.status, messages=messages, cursor=keyset.encode_moment(newest))


def request_handover(
    agent_id: uuid.UUID, token: str | None, origin: str | None, note: str | None
) -> MessagesOut:
    """The widget's "talk to a human" button."""
    require_origin(agent_id, origin, required=False)
    with tenant_session(company_context(agent_id)) as db:
        conversation = session_conversation(db, agent_id, token)
        turns.reopen_if_ended(conversation)
        agent = _live_agent(db, agent_id)
        before = datetime.now(UTC)
        already = conversation.status is not ConversationStatus.ACTIVE
        escalate(db, conversation, escalation_rules.explicit_request(note))
        if not already:
            turns.handover_reply(db, conversation, agent, before)
        return MessagesOut(
            status=conversation.status,
            messages=_messages(db, conversation.id, before),
            cursor=keyset.encode_moment(datetime.now(UTC)),
        )


def end_conversation(
    agent_id: uuid.UUID, token: str | None, origin: str | None, body: EndConversationIn
) -> MessagesOut:
    require_origin(agent_id, origin, required=False)
    with tenant_session(company_context(agent_id)) as db:
        conversation = session_conversation(db, agent_id, token)
        if conversation.status not in turns.ENDED:
            conversation.status = ConversationStatus.RESOLVED
            conversation.resolved_at = datetime.now(UTC)
            conversation.is_human_agent = False
            events.emit(
                db,
                company_id=conversation.company_id,
                agent_id=conversation.agent_id,
                event_type="conversation.resolved",
                data={
                    "conversation_id": conversation.id,
                    "resolved_at": conversation.resolved_at,
                    "resolved_by": "customer",
                },
            )
        waiting = open_escalation(db, conversation.id)
        if waiting is not None:  # the customer left before (or while) a person helped
            waiting.status = EscalationStatus.ABANDONED
            waiting.resolved_at = datetime.now(UTC)
            free_seat(db, waiting.assigned_to)
        if body.rating is not None or body.feedback:
            conversation.context = {
                **(conversation.context or {}),
                "rating": {
                    "score": body.rating,
                    "feedback": body.feedback,
                    "at": datetime.now(UTC).isoformat(),
                },
            }
        return MessagesOut(status=conversation.status, messages=[], cursor=None)


def request_attachment(
    agent_id: uuid.UUID, token: str | None, origin: str | None, client_ip: str, body: AttachmentRequestIn
) -> AttachmentTicketOut:
    require_origin(agent_id, origin, required=False)
    with tenant_session(company_context(agent_id)) as db:
        rate_limits.enforce(_ip_limit(client_ip), db=db)
        conversation = session_conversation(db, agent_id, token)
        widget = widget_for_agent(db, agent_id)
        if widget is None or widget.enable_file_upload is False:
            raise Forbidden("File upload is turned off for this chat.", code="file_upload_disabled")
        if body.mime_type not in ATTACHMENT_TYPES:
            raise InvalidInput(
                "This file type can't be sent here; send an image, a PDF or a text file.",
                code="file_type_not_allowed",
            )
        if body.size > MAX_ATTACHMENT_BYTES:
            raise InvalidInput("Files can be at most 10 MB.", code="file_too_large")
        _take_attachment_room(db, conversation, body.size)
        name = _SAFE_NAME.sub("_", body.filename)[-100:] or "file"
        key = f"{conversation.company_id}/{conversation.id}/{uuid.uuid4().hex}/{name}"
    upload = storage.presign_upload(key, body.mime_type, body.size, bucket=get_settings().attachments_bucket)
    return AttachmentTicketOut(
        key=key, upload_url=upload.url, upload_headers=upload.headers, expires_in=upload.expires_in
    )


def _take_attachment_room(db: Session, conversation: Conversation, size: int) -> None:
    """Count a ticket against the conversation's caps and the plan's attachment storage. Its size is
    signed into the upload URL, so what S3 stores is never more than what is counted here."""
    db.refresh(conversation, with_for_update=True)  # two tickets at once must not both fit
    settings = get_settings()
    if (
        conversation.attachment_count + 1 > settings.attachments_per_conversation
        or conversation.attachment_bytes + size > settings.attachment_bytes_per_conversation
    ):
        raise Conflict(
            f"This chat can take at most {settings.attachments_per_conversation} files and "
            f"{settings.attachment_bytes_per_conversation // (1024 * 1024)} MB; "
            "start a new chat to send more.",
            code="conversation_attachments_full",
        )
    limits = effective_limits(db, conversation.company_id)
    require_attachment_storage_for(db, conversation.company_id, limits, size)
    conversation.attachment_count += 1
    conversation.attachment_bytes += size


def _claimed_attachments(db: Session, conversation: Conversation, keys: list[str]) -> list[dict[str, Any]]:
    """Attachments named in a message must be this conversation's uploads, and must have arrived."""
    attachments = []
    prefix = f"{conversation.company_id}/{conversation.id}/"
    for key in dict.fromkeys(keys):
        if not key.startswith(prefix) or ".." in key:
            raise NotFound("No such attachment in this conversation.", code="attachment_not_found")
        stored = storage.head(key, bucket=get_settings().attachments_bucket)
        if stored is None:
            raise Conflict("The attachment has not finished uploading.", code="attachment_not_uploaded")
        mime = stored.content_type or "application/octet-stream"
        attachments.append(
            {
                "type": "image" if mime.startswith("image/") else "file",
                "name": key.rsplit("/", 1)[-1],
                "size": stored.size,
                "mimeType": mime,
                "key": key,
            }
        )
    return attachments


def _messages(db: Session, conversation_id: uuid.UUID, since: datetime | None) -> list[MessageOut]:
    query = select(Message).where(Message.conversation_id == conversation_id, Message.role.in_(VISIBLE_ROLES))
    if since is not None:
        query = query.where(Message.created_at > since - POLL_OVERLAP)
    rows = db.scalars(query.order_by(Message.created_at, Message.id).limit(200)).all()
    return [present(row) for row in rows]


def present(message: Message) -> MessageOut:
    metadata = message.metadata_ or {}
    return MessageOut(
        **customer_view(message),
        citations=[
            CitationOut(
                number=c["number"],
                filename=c["filename"],
                page_number=c.get("pageNumber"),
                section_title=c.get("sectionTitle"),
                chunk_id=c["chunkId"],
                file_id=c["fileId"],
                url=c.get("url"),
            )
            for c in metadata.get("citations") or []
        ],
    )
