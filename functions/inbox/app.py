"""The human inbox (console): escalation queue, takeover, replies, notes, presence."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query, Response

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.conversations import message_pages
from chatapp.db.enums import ChannelType, ConversationStatus, EscalationStatus
from chatapp.inbox import canned_responses, customer_profiles, live_tickets
from chatapp.inbox import queue as inbox
from chatapp.inbox.canned_schemas import CannedResponseIn, CannedResponseOut, CannedResponsePatch
from chatapp.inbox.customer_schemas import CustomerErasureOut, CustomerPatch, CustomerProfileOut
from chatapp.inbox.schemas import (
    ConversationDetailOut,
    ConversationSummaryOut,
    EscalationOut,
    InboxMessageOut,
    NoteIn,
    NoteOut,
    PresenceIn,
    PresenceOut,
    ReplyIn,
    ResolveIn,
    TransferIn,
)
from chatapp.realtime.schemas import RealtimeTicketOut

app = create_app("inbox")


@app.get("/v1/inbox/escalations", response_model=list[EscalationOut])
async def list_queue(principal: Authenticated, status: EscalationStatus | None = None) -> list[EscalationOut]:
    return inbox.list_queue(principal, status)


@app.post("/v1/inbox/escalations/{escalation_id}/claim", response_model=EscalationOut)
async def claim(escalation_id: uuid.UUID, principal: Authenticated) -> EscalationOut:
    return inbox.claim(principal, escalation_id)


@app.post("/v1/inbox/escalations/{escalation_id}/transfer", response_model=EscalationOut)
async def transfer(escalation_id: uuid.UUID, body: TransferIn, principal: Authenticated) -> EscalationOut:
    return inbox.transfer(principal, escalation_id, body.user_id)


@app.get("/v1/inbox/conversations", response_model=list[ConversationSummaryOut])
async def list_conversations(
    principal: Authenticated,
    status: ConversationStatus | None = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
    assigned: Literal["me", "unassigned"] | None = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ConversationSummaryOut]:
    return inbox.list_conversations(
        principal,
        status=status,
        agent_id=agent_id,
        channel=channel.value if channel else None,
        assigned=assigned,
        search=search,
        limit=limit,
    )


@app.get("/v1/inbox/conversations/{conversation_id}", response_model=ConversationDetailOut)
async def conversation_detail(
    conversation_id: uuid.UUID,
    principal: Authenticated,
    before: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=message_pages.MAX_PAGE)] = message_pages.DEFAULT_PAGE,
) -> ConversationDetailOut:
    return inbox.conversation_detail(principal, conversation_id, before=before, limit=limit)


@app.post(
    "/v1/inbox/conversations/{conversation_id}/messages", response_model=InboxMessageOut, status_code=201
)
async def reply(conversation_id: uuid.UUID, body: ReplyIn, principal: Authenticated) -> InboxMessageOut:
    return inbox.reply(principal, conversation_id, body.content, suggestion_id=body.suggestion_id)


@app.post("/v1/inbox/conversations/{conversation_id}/resolve", response_model=ConversationSummaryOut)
async def resolve(
    conversation_id: uuid.UUID, body: ResolveIn, principal: Authenticated
) -> ConversationSummaryOut:
    return inbox.resolve(principal, conversation_id, body.notes)


@app.post("/v1/inbox/conversations/{conversation_id}/return-to-ai", response_model=ConversationSummaryOut)
async def return_to_ai(conversation_id: uuid.UUID, principal: Authenticated) -> ConversationSummaryOut:
    return inbox.return_to_ai(principal, conversation_id)


@app.post("/v1/inbox/conversations/{conversation_id}/notes", response_model=NoteOut, status_code=201)
async def add_note(conversation_id: uuid.UUID, body: NoteIn, principal: Authenticated) -> NoteOut:
    return inbox.add_note(principal, conversation_id, body.content)


@app.put("/v1/inbox/presence", response_model=PresenceOut)
async def update_presence(body: PresenceIn, principal: Authenticated) -> PresenceOut:
    return inbox.update_presence(principal, body)


@app.post("/v1/inbox/presence/heartbeat", response_model=PresenceOut)
async def heartbeat(principal: Authenticated) -> PresenceOut:
    return inbox.heartbeat(principal)


@app.post("/v1/inbox/realtime-ticket", response_model=RealtimeTicketOut, status_code=201)
async def realtime_ticket(principal: Authenticated) -> RealtimeTicketOut:
    """A one-time ticket for the live inbox socket: present it as a subprotocol after `buzzi.v1`."""
    return live_tickets.console_ticket(principal)


@app.get("/v1/inbox/team", response_model=list[PresenceOut])
async def team_presence(principal: Authenticated) -> list[PresenceOut]:
    return inbox.team_presence(principal)


@app.get("/v1/inbox/canned-responses", response_model=list[CannedResponseOut])
async def list_canned_responses(
    principal: Authenticated, agent_id: uuid.UUID | None = None
) -> list[CannedResponseOut]:
    return canned_responses.list_responses(principal, agent_id)


@app.post("/v1/inbox/canned-responses", response_model=CannedResponseOut, status_code=201, tags=[ADMIN])
async def create_canned_response(body: CannedResponseIn, principal: Authenticated) -> CannedResponseOut:
    return canned_responses.create_response(principal, body)


@app.patch("/v1/inbox/canned-responses/{response_id}", response_model=CannedResponseOut, tags=[ADMIN])
async def update_canned_response(
    response_id: uuid.UUID, body: CannedResponsePatch, principal: Authenticated
) -> CannedResponseOut:
    return canned_responses.update_response(principal, response_id, body)


@app.delete("/v1/inbox/canned-responses/{response_id}", status_code=204, tags=[ADMIN])
async def delete_canned_response(response_id: uuid.UUID, principal: Authenticated) -> Response:
    canned_responses.delete_response(principal, response_id)
    return Response(status_code=204)


@app.get("/v1/inbox/customers/{customer_id}", response_model=CustomerProfileOut)
async def customer_profile(customer_id: uuid.UUID, principal: Authenticated) -> CustomerProfileOut:
    return customer_profiles.profile(principal, customer_id)


@app.patch("/v1/inbox/customers/{customer_id}", response_model=CustomerProfileOut)
async def update_customer(
    customer_id: uuid.UUID, body: CustomerPatch, principal: Authenticated
) -> CustomerProfileOut:
    return customer_profiles.update_profile(principal, customer_id, body)


@app.delete("/v1/inbox/customers/{customer_id}", response_model=CustomerErasureOut, tags=[ADMIN])
async def erase_customer(customer_id: uuid.UUID, principal: Authenticated) -> CustomerErasureOut:
    return customer_profiles.erase(principal, customer_id)


handler = lambda_handler(app)
