"""The widget's socket routes (docs/realtime.md): `$connect`, `$disconnect` and pings.

`$connect` decides before API Gateway accepts: a ticket that is missing, forged, expired or used
is 401, a page whose origin the agent does not allow is 403, and neither leaves a connection row.
Small on purpose (no conversation engine): this is all the WebSocket function loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import Forbidden
from chatapp.realtime import connections, push, tickets
from chatapp.surfaces.widget_origins import require_origin

SUBPROTOCOL = "buzzi.v1"


@dataclass(frozen=True)
class Handshake:
    """How to answer a socket's opening: 200 with the subprotocol chosen, or a refusal."""

    status: int
    subprotocol: str | None = None
    reason: str | None = None


def connect(connection_id: str, offered_protocols: str | None, origin: str | None) -> Handshake:
    offered = [p.strip() for p in (offered_protocols or "").split(",") if p.strip()]
    ticket = next((p for p in offered if tickets.company_of(p) is not None), None)
    company_id = tickets.company_of(ticket) if ticket else None
    if ticket is None or company_id is None or SUBPROTOCOL not in offered:
        return Handshake(401, reason="no_ticket")
    context = TenantContext.company_service(company_id)
    with tenant_session(context) as db:  # committed at once: a ticket is used up by trying it
        claim = tickets.redeem(db, ticket)
    if claim is None:
        return Handshake(401, reason="ticket_invalid")
    try:
        require_origin(claim.agent_id, origin, required=True)
    except Forbidden:
        return Handshake(403, reason="origin_not_allowed")
    with tenant_session(context) as db:
        connections.open_widget(db, connection_id, claim)
    return Handshake(200, subprotocol=SUBPROTOCOL)


def disconnect(connection_id: str) -> None:
    connections.forget(connection_id)


def receive(connection_id: str, body: str | None) -> None:
    """What a widget sends up the socket: only pings (messages go through the HTTP API)."""
    try:
        action = json.loads(body or "{}").get("action")
    except (ValueError, AttributeError):
        return
    if action == "ping":
        push.post([connection_id], {"type": "pong"})
