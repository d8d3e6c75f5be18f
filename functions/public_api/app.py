"""The public REST API, called with a company API key: conversations, messages, analytics."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import Query

from chatapp.analytics.schemas import AnalyticsSummaryOut
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import AnalyticsReader, ConversationsReader, MessagesWriter
from chatapp.conversations import message_pages
from chatapp.db.enums import ChannelType, ConversationStatus
from chatapp.surfaces import public_api
from chatapp.surfaces.public_api_schemas import (
    ConversationPageOut,
    PublicConversationDetailOut,
    PublicMessageIn,
    PublicSendOut,
)

app = create_app("public api", console_cors=False)


@app.get("/v1/public/conversations", response_model=ConversationPageOut)
async def list_conversations(
    principal: ConversationsReader,
    status: ConversationStatus | None = None,
    agent_id: uuid.UUID | None = None,
    since: datetime | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPageOut:
    return public_api.list_conversations(
        principal, status=status, agent_id=agent_id, since=since, cursor=cursor, limit=limit
    )


@app.get("/v1/public/conversations/{conversation_id}", response_model=PublicConversationDetailOut)
async def get_conversation(
    conversation_id: uuid.UUID,
    principal: ConversationsReader,
    before: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=message_pages.MAX_PAGE)] = message_pages.DEFAULT_PAGE,
) -> PublicConversationDetailOut:
    return public_api.get_conversation(principal, conversation_id, before=before, limit=limit)


@app.post(
    "/v1/public/conversations/{conversation_id}/messages", response_model=PublicSendOut, status_code=201
)
async def send_message(
    conversation_id: uuid.UUID, body: PublicMessageIn, principal: MessagesWriter
) -> PublicSendOut:
    return public_api.send_message(principal, conversation_id, body.content, body.sender)


@app.get("/v1/public/analytics/summary", response_model=AnalyticsSummaryOut)
async def analytics_summary(
    principal: AnalyticsReader,
    start: Annotated[
        date | None, Query(alias="from", description="First local day (default: `to` - 29).")
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Last local day, inclusive (default: today).")
    ] = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> AnalyticsSummaryOut:
    return public_api.analytics_summary(principal, start, end, agent_id, channel)


handler = lambda_handler(app)
