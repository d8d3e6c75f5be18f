"""Open sockets: which conversation each listens to (chatapp_realtime_connections, company data).

A row is written when `$connect` accepts and deleted on `$disconnect`, when a post finds the
connection gone, or by the housekeeping sweep once API Gateway's 2-hour limit has passed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chatapp.db.models.realtime import RealtimeConnection, RealtimeTicket
from chatapp.db.tenancy import system_session
from chatapp.realtime.tickets import Claim

CONNECTION_LIFETIME = timedelta(hours=2)  # API Gateway closes every WebSocket after two hours


def open_connection(db: Session, connection_id: str, claim: Claim) -> None:
    """A widget's socket listens to its conversation; a console's to what its user may see."""
    db.add(
        RealtimeConnection(
            connection_id=connection_id,
            company_id=claim.company_id,
            kind=claim.kind,
            agent_id=claim.agent_id,
            conversation_id=claim.conversation_id,
            user_id=claim.user_id,
            session_id=claim.session_id,
            expires_at=datetime.now(UTC) + CONNECTION_LIFETIME,
        )
    )


def for_conversation(db: Session, conversation_id: uuid.UUID) -> list[str]:
    """The open sockets of a conversation (usually one; one per browser tab)."""
    return list(
        db.scalars(
            select(RealtimeConnection.connection_id).where(
                RealtimeConnection.conversation_id == conversation_id,
                RealtimeConnection.expires_at > datetime.now(UTC),
            )
        )
    )


def forget(*connection_ids: str) -> None:
    """`$disconnect` and gone connections: the event names only the connection, not its company."""
    if not connection_ids:
        return
    with system_session("forget closed sockets") as db:
        db.execute(delete(RealtimeConnection).where(RealtimeConnection.connection_id.in_(connection_ids)))


def sweep(now: datetime | None = None) -> int:
    """Connections past API Gateway's limit and expired tickets; returns how many rows went."""
    now = now or datetime.now(UTC)
    with system_session("sweep expired sockets and tickets") as db:
        connections = db.execute(delete(RealtimeConnection).where(RealtimeConnection.expires_at <= now))
        tickets = db.execute(delete(RealtimeTicket).where(RealtimeTicket.expires_at <= now))
        return int(connections.rowcount or 0) + int(tickets.rowcount or 0)
