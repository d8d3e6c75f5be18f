"""One-time connect tickets: what a widget (with its session token) or the console (with its
console session) trades for the right to open one socket.

Browsers cannot set headers on a WebSocket and query strings land in access logs, so the widget
presents the ticket as a `Sec-WebSocket-Protocol` value. A ticket is single use, lives 60 seconds
and is stored hashed. It names its company in clear (`bzt_<company hex>.<secret>`), so `$connect`
can look it up inside that company's tenant context: a forged prefix only searches a company
where the hash does not exist.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from chatapp.db.models.realtime import RealtimeTicket
from chatapp.security import TokenKind, token_digest

TICKET_TTL = timedelta(seconds=60)
_PREFIX = f"{TokenKind.REALTIME_TICKET.value}_"


@dataclass(frozen=True)
class Claim:
    """What a redeemed ticket allows: a widget's socket on one conversation of one agent, or a
    console's socket for one signed-in user (what it may see is decided per event, when sending)."""

    company_id: uuid.UUID
    kind: str = "widget"
    conversation_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


def issue(
    db: Session, company_id: uuid.UUID, conversation_id: uuid.UUID, agent_id: uuid.UUID
) -> tuple[str, int]:
    """A widget's new ticket and its lifetime in seconds; `db` is in the company's context."""
    return _issue(
        db, RealtimeTicket(company_id=company_id, conversation_id=conversation_id, agent_id=agent_id)
    )


def issue_console(
    db: Session, company_id: uuid.UUID, user_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[str, int]:
    """A console user's new ticket, bound to the console session it was asked with."""
    return _issue(
        db, RealtimeTicket(company_id=company_id, kind="console", user_id=user_id, session_id=session_id)
    )


def _issue(db: Session, row: RealtimeTicket) -> tuple[str, int]:
    ticket = f"{_PREFIX}{row.company_id.hex}.{secrets.token_urlsafe(32)}"
    row.token_hash = token_digest(ticket)
    row.expires_at = datetime.now(UTC) + TICKET_TTL
    db.add(row)
    return ticket, int(TICKET_TTL.total_seconds())


def company_of(ticket: str) -> uuid.UUID | None:
    """The company a well-formed ticket names (not yet proof of anything)."""
    if not ticket.startswith(_PREFIX):
        return None
    company_hex, dot, secret = ticket[len(_PREFIX) :].partition(".")
    if not dot or not secret or len(company_hex) != 32:
        return None
    try:
        return uuid.UUID(hex=company_hex)
    except ValueError:
        return None


def redeem(db: Session, ticket: str, now: datetime | None = None) -> Claim | None:
    """The ticket's claim, consumed: a second use finds nothing. `db` is in `company_of(ticket)`'s
    context and commits the deletion whatever happens next (single use, come what may)."""
    row = db.execute(
        delete(RealtimeTicket)
        .where(RealtimeTicket.token_hash == token_digest(ticket))
        .returning(
            RealtimeTicket.company_id,
            RealtimeTicket.kind,
            RealtimeTicket.conversation_id,
            RealtimeTicket.agent_id,
            RealtimeTicket.user_id,
            RealtimeTicket.session_id,
            RealtimeTicket.expires_at,
        )
    ).one_or_none()
    if row is None or row.expires_at <= (now or datetime.now(UTC)):
        return None
    return Claim(row.company_id, row.kind, row.conversation_id, row.agent_id, row.user_id, row.session_id)
