"""The WebSocket API's routes (docs/realtime.md): `$connect`, `$disconnect` and what sockets send.

`$connect` decides before API Gateway accepts. A ticket that is missing, forged, expired or used is
401. A widget's page whose origin the agent does not allow is 403; so is a console page from an
origin that is not the console's, or a console ticket whose sign-in has since ended. No refusal
leaves a connection row. Small on purpose (no conversation engine): this is all the WebSocket
function loads.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from chatapp.access import rate_limits
from chatapp.config import get_settings
from chatapp.db.models.conversations import Conversation
from chatapp.db.models.core import User
from chatapp.db.models.realtime import RealtimeConnection
from chatapp.db.tenancy import ContextRole, TenantContext, system_session, tenant_session
from chatapp.errors import Forbidden, RateLimited
from chatapp.identity.console_sockets import still_signed_in
from chatapp.realtime import connections, live, push, tickets
from chatapp.realtime.tickets import Claim
from chatapp.surfaces.widget_origins import require_origin

SUBPROTOCOL = "buzzi.v1"
TYPING_PER_MINUTE = 40  # the widget and the console send at most one every 2.5-3 seconds


@dataclass(frozen=True)
class Handshake:
    """How to answer a socket's opening: 200 with the subprotocol chosen, or a refusal."""

    status: int
    subprotocol: str | None = None
    reason: str | None = None


def connect(
    connection_id: str, offered_protocols: str | None, origin: str | None, client_ip: str | None = None
) -> Handshake:
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
    refusal = (
        _console_refusal(claim, origin, client_ip)
        if claim.kind == "console"
        else _widget_refusal(claim, origin)
    )
    if refusal is not None:
        return refusal
    with tenant_session(context) as db:
        connections.open_connection(db, connection_id, claim)
    return Handshake(200, subprotocol=SUBPROTOCOL)


def _widget_refusal(claim: Claim, origin: str | None) -> Handshake | None:
    assert claim.agent_id is not None
    try:
        require_origin(claim.agent_id, origin, required=True)
    except Forbidden:
        return Handshake(403, reason="origin_not_allowed")
    return None


def _console_refusal(claim: Claim, origin: str | None, client_ip: str | None) -> Handshake | None:
    assert claim.session_id is not None and claim.user_id is not None
    if origin is None or origin.rstrip("/") not in console_origins():
        return Handshake(403, reason="origin_not_allowed")
    if not still_signed_in(claim.session_id, claim.user_id, client_ip):
        return Handshake(403, reason="session_ended")
    return None


def console_origins() -> frozenset[str]:
    """The console's origins: the CORS list in a deployment; locally (no list), the runner's own."""
    settings = get_settings()
    if settings.cors_allowed_origins:
        return frozenset(o.rstrip("/") for o in settings.cors_allowed_origins)
    url = urlsplit(settings.console_realtime_url or settings.realtime_url or "")
    scheme = {"ws": "http", "wss": "https"}.get(url.scheme)
    return frozenset({f"{scheme}://{url.netloc}"}) if scheme and url.netloc else frozenset()


def disconnect(connection_id: str) -> None:
    connections.forget(connection_id)


def receive(connection_id: str, body: str | None) -> None:
    """What a socket sends up: pings, and typing (messages go through the HTTP APIs)."""
    try:
        message: dict[str, Any] = json.loads(body or "{}")
        action = message.get("action")
    except (ValueError, AttributeError):
        return
    if action == "ping":
        push.post([connection_id], {"type": "pong"})
    elif action == "typing":
        _typing(connection_id, message.get("conversation_id"))


def _typing(connection_id: str, conversation: Any) -> None:
    """A customer typing shows in the consoles that may see the conversation; a person typing in
    the console shows in the conversation's widget, if that person may see the conversation. The
    clients send one every few seconds; a socket sending more is not heard for the minute."""
    try:
        rate_limits.enforce(rate_limits.Limit(f"typing:{connection_id}", TYPING_PER_MINUTE))
    except RateLimited:
        return
    with system_session("which socket is typing") as db:  # the frame names only its connection
        row = db.execute(
            select(
                RealtimeConnection.company_id,
                RealtimeConnection.kind,
                RealtimeConnection.conversation_id,
                RealtimeConnection.user_id,
            ).where(RealtimeConnection.connection_id == connection_id)
        ).one_or_none()
    if row is None:
        return
    if row.kind == "widget" and row.conversation_id is not None:
        live.send_now(
            live.LiveEvent(row.company_id, "typing", {"who": "customer"}, conversation_id=row.conversation_id)
        )
        return
    try:
        conversation_id = uuid.UUID(str(conversation))
    except ValueError:
        return
    if row.user_id is not None:
        _agent_typing(row.company_id, row.user_id, conversation_id)


def _agent_typing(company_id: uuid.UUID, user_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    with tenant_session(TenantContext.company_service(company_id)) as db:
        user = db.get(User, user_id)
    if user is None or not user.is_active:
        return
    with tenant_session(TenantContext(ContextRole(user.role.value), company_id, user_id)) as db:
        visible = db.scalar(select(Conversation.id).where(Conversation.id == conversation_id))
        sockets = connections.for_conversation(db, conversation_id) if visible else []
    push.post(sockets, {"type": "typing", "who": "agent", "name": user.name or "Support"})
