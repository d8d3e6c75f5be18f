"""The public REST API: a company's own systems read conversations, send messages and read
analytics with an API key.

Only API keys are accepted here (a console session gets 403 `api_key_required`), each call needs
the key's scope for it (`read:conversations`, `write:messages`, `read:analytics`), and it runs in
the key's company context (`company_service`), so row-level security shows that company only;
every object fetched by id is checked against it too (another company's id is simply not found).
Rate limits, "last used" and metering happen when the key authenticates (`identity`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import select, tuple_

from chatapp.access.authorization import require_scope
from chatapp.access.principals import Principal, PrincipalKind
from chatapp.analytics import queries
from chatapp.analytics.schemas import AnalyticsSummaryOut
from chatapp.conversations import message_pages, turns
from chatapp.conversations.lookup import conversation_by_id
from chatapp.conversations.presenters import customer_view, live_view
from chatapp.db import keyset
from chatapp.db.enums import ChannelType, ConversationStatus, MessageRole
from chatapp.db.models.agents import Agent
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.conversations import Conversation, Message
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Forbidden, NotFound
from chatapp.inbox.queue import add_human_message
from chatapp.integrations import queues
from chatapp.realtime import connections, push
from chatapp.surfaces.public_api_schemas import (
    ConversationPageOut,
    PublicConversationDetailOut,
    PublicConversationOut,
    PublicMessageOut,
    PublicSendOut,
)

VISIBLE_ROLES = (MessageRole.USER, MessageRole.ASSISTANT, MessageRole.HUMAN_AGENT)


def require_key(principal: Principal, scope: str) -> uuid.UUID:
    """The key's company, if `principal` is an API key holding `scope` (e.g. "read:conversations").
    The API's door checks the same with the same `require_scope`; this holds for any other caller."""
    if principal.kind is not PrincipalKind.API_KEY or principal.company_id is None:
        raise Forbidden(
            "This API is called with a company API key; console sessions use the console API.",
            code="api_key_required",
        )
    require_scope(principal, scope)
    return principal.company_id


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def present(message: Message) -> PublicMessageOut:
    return PublicMessageOut(**customer_view(message))


# ---------------------------------------------------------------- conversations


def list_conversations(
    principal: Principal,
    *,
    status: ConversationStatus | None = None,
    agent_id: uuid.UUID | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> ConversationPageOut:
    """Newest first by start time (which never changes, so pages neither skip nor repeat);
    `since` keeps conversations with a message at or after that moment."""
    require_key(principal, "read:conversations")
    with tenant_session(principal.context()) as db:
        query = select(Conversation).where(
            Conversation.deleted_at.is_(None), Conversation.is_sandbox.is_(False)
        )
        if agent_id is not None:
            agent = owned(db, Agent, agent_id)
            if agent is None or agent.deleted_at is not None:
                raise NotFound("No such agent.", code="agent_not_found")
            query = query.where(Conversation.agent_id == agent_id)
        if status is not None:
            query = query.where(Conversation.status == status)
        if since is not None:
            query = query.where(Conversation.last_message_at >= _utc(since))
        if cursor:
            query = query.where(tuple_(Conversation.started_at, Conversation.id) < keyset.decode(cursor))
        rows = db.scalars(
            query.order_by(Conversation.started_at.desc(), Conversation.id.desc()).limit(limit + 1)
        ).all()
        page = rows[:limit]
        return ConversationPageOut(
            items=[PublicConversationOut.model_validate(row) for row in page],
            next_cursor=keyset.encode(page[-1].started_at, page[-1].id) if len(rows) > limit else None,
        )


def get_conversation(
    principal: Principal,
    conversation_id: uuid.UUID,
    *,
    before: str | None = None,
    limit: int = message_pages.DEFAULT_PAGE,
) -> PublicConversationDetailOut:
    """The conversation with its latest page of messages; `before` pages back through older ones."""
    require_key(principal, "read:conversations")
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id)
        page = message_pages.latest_messages(
            db, conversation.id, before=before, limit=limit, roles=VISIBLE_ROLES
        )
        return PublicConversationDetailOut(
            **PublicConversationOut.model_validate(conversation).model_dump(),
            messages=[present(message) for message in page.messages],
            messages_cursor=page.older,
        )


def send_message(
    principal: Principal,
    conversation_id: uuid.UUID,
    content: str,
    sender: Literal["customer", "human_agent"],
) -> PublicSendOut:
    """As the customer: the conversation engine takes the message (the AI answers while the
    conversation is with it). As a human agent: the company's own system answers in its name."""
    company_id = require_key(principal, "write:messages")
    if sender == "human_agent":
        return _human_reply(principal, conversation_id, content)
    with tenant_session(principal.context()) as db:
        channel = conversation_by_id(db, conversation_id).channel  # another company's is not found
    outcome = turns.take_customer_message(company_id, conversation_id, content)
    if channel is not ChannelType.WEB:  # replies in a channel conversation go out through it
        for reply in outcome.messages[1:]:
            queues.send_channel_delivery(company_id, reply.id)
    return PublicSendOut(
        status=outcome.status,
        messages=[present(message) for message in outcome.messages],
        escalated=outcome.escalated,
    )


def _human_reply(principal: Principal, conversation_id: uuid.UUID, content: str) -> PublicSendOut:
    """A person answering through the company's own system: no Buzzi user behind it, so no sender
    id; the key's name is shown as the sender. The AI stays silent from then on, as after a takeover."""
    now = datetime.now(UTC)
    with tenant_session(principal.context()) as db:
        conversation = conversation_by_id(db, conversation_id, lock=True)
        key = owned(db, ApiKey, principal.id)
        message = add_human_message(
            db,
            conversation,
            content,
            sender_id=None,
            metadata={"senderName": key.name if key else "Support", "apiKeyId": str(principal.id)},
            now=now,
        )
        if conversation.status is not ConversationStatus.WITH_HUMAN:
            conversation.status = ConversationStatus.WITH_HUMAN
            conversation.resolved_at = None
        conversation.is_human_agent = True
        result = PublicSendOut(status=conversation.status, messages=[present(message)])
        company_id, channel = conversation.company_id, conversation.channel
        sockets = connections.for_conversation(db, conversation.id) if channel is ChannelType.WEB else []
        frame = {"type": "message", "message": live_view(message)}
    if channel is not ChannelType.WEB:
        queues.send_channel_delivery(company_id, message.id)
    push.post(sockets, frame)
    return result


# ---------------------------------------------------------------- analytics


def analytics_summary(
    principal: Principal,
    start: date | None = None,
    end: date | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> AnalyticsSummaryOut:
    """The console's summary, for the key's company: one definition of every figure (the rollups)."""
    company_id = require_key(principal, "read:analytics")
    return queries.company_summary(principal.context(), company_id, start, end, agent_id, channel)
