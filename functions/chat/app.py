"""The public widget chat API: a browser on a company's site talks to the company's agent.

Heavy modules (anthropic, the retrieval stack) are imported here, at init, so SnapStart's
snapshot carries them; the after-restore hook drops connections the snapshot froze.
"""

from __future__ import annotations

import uuid
from typing import Annotated

# The expensive imports happen at init, which SnapStart snapshots: anthropic (~1.5 s here) and, when
# a Qdrant server is configured, qdrant_client (~1.1 s). No other function imports them.
import anthropic  # noqa: F401
from fastapi import Header, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chatapp.api.app import create_app, lambda_handler
from chatapp.api.widget_cors import install_widget_cors
from chatapp.config import get_settings
from chatapp.realtime.schemas import RealtimeTicketOut
from chatapp.snapstart import register_after_restore, reopen_connections
from chatapp.surfaces import widget as widget_chat
from chatapp.surfaces import widget_streaming
from chatapp.surfaces.widget_schemas import (
    AttachmentRequestIn,
    AttachmentTicketOut,
    EndConversationIn,
    HandoverIn,
    MessagesOut,
    SendMessageIn,
    SendMessageOut,
    StartConversationIn,
    StartConversationOut,
    WidgetPublicConfigOut,
)

if get_settings().qdrant_url:
    import qdrant_client  # noqa: F401

app = create_app("chat", console_cors=False)
install_widget_cors(app)
register_after_restore(reopen_connections)

Origin = Annotated[str | None, Header()]
# The conversation's `bzw_...` token, from starting it; documented as the operations' security scheme.
WIDGET_SESSION = HTTPBearer(
    scheme_name="widgetSession",
    bearerFormat="bzw_...",
    description="The conversation's token (`Authorization: Bearer bzw_...`), returned when it starts.",
    auto_error=False,
)
SessionToken = Annotated[HTTPAuthorizationCredentials | None, Security(WIDGET_SESSION)]
BASE = "/v1/widget/agents/{agent_id}"


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials.strip() if credentials else None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@app.get(f"{BASE}/config", response_model=WidgetPublicConfigOut)
async def widget_config(agent_id: uuid.UUID, origin: Origin = None) -> WidgetPublicConfigOut:
    return widget_chat.public_config(agent_id, origin)


@app.post(f"{BASE}/conversations", response_model=StartConversationOut, status_code=201)
async def start_conversation(
    agent_id: uuid.UUID, body: StartConversationIn, request: Request, origin: Origin = None
) -> StartConversationOut:
    return widget_chat.start_conversation(agent_id, origin, _client_ip(request), body)


@app.post(
    f"{BASE}/conversation/messages",
    response_model=SendMessageOut,
    responses={202: {"model": SendMessageOut, "description": "Stored; the answer streams on the socket."}},
)
async def send_message(
    agent_id: uuid.UUID,
    body: SendMessageIn,
    request: Request,
    response: Response,
    authorization: SessionToken = None,
    origin: Origin = None,
) -> SendMessageOut:
    sent = widget_chat.send_message(agent_id, _token(authorization), origin, _client_ip(request), body)
    if sent.streaming:
        response.status_code = 202
    return sent


@app.get(f"{BASE}/conversation/messages", response_model=MessagesOut)
async def list_messages(
    agent_id: uuid.UUID,
    after: Annotated[str | None, Query(max_length=200)] = None,
    authorization: SessionToken = None,
    origin: Origin = None,
) -> MessagesOut:
    return widget_chat.list_messages(agent_id, _token(authorization), origin, after)


@app.post(f"{BASE}/conversation/attachments", response_model=AttachmentTicketOut, status_code=201)
async def request_attachment(
    agent_id: uuid.UUID,
    body: AttachmentRequestIn,
    request: Request,
    authorization: SessionToken = None,
    origin: Origin = None,
) -> AttachmentTicketOut:
    return widget_chat.request_attachment(agent_id, _token(authorization), origin, _client_ip(request), body)


@app.post(f"{BASE}/conversation/handover", response_model=MessagesOut)
async def request_handover(
    agent_id: uuid.UUID, body: HandoverIn, authorization: SessionToken = None, origin: Origin = None
) -> MessagesOut:
    return widget_chat.request_handover(agent_id, _token(authorization), origin, body.note)


@app.post(f"{BASE}/conversation/end", response_model=MessagesOut)
async def end_conversation(
    agent_id: uuid.UUID, body: EndConversationIn, authorization: SessionToken = None, origin: Origin = None
) -> MessagesOut:
    return widget_chat.end_conversation(agent_id, _token(authorization), origin, body)


@app.post(f"{BASE}/conversation/realtime-ticket", response_model=RealtimeTicketOut, status_code=201)
async def realtime_ticket(
    agent_id: uuid.UUID, authorization: SessionToken = None, origin: Origin = None
) -> RealtimeTicketOut:
    """A one-time ticket to open the conversation's socket, where answers stream (docs/realtime.md)."""
    return widget_streaming.issue_ticket(agent_id, _token(authorization), origin)


handler = lambda_handler(app)
