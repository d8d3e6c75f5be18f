"""Support agents' presence and capacity, and who gets the next escalated conversation.

`current_chat_count` only moves through single conditional UPDATEs (`+1 WHERE count < max`,
`-1 WHERE count > 0`), so concurrent assignments can never push an agent past capacity or lose a
count. An agent whose heartbeat is older than the idle threshold is set `away` the next time
anyone looks for an agent, and away agents receive nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.enums import SupportAgentPresence
from chatapp.db.models.conversations import Escalation
from chatapp.db.models.team import SupportAgentStatus
from chatapp.realtime import live


def idle_threshold() -> timedelta:
    return timedelta(minutes=get_settings().support_idle_minutes)


def ensure_status(db: Session, company_id: uuid.UUID, user_id: uuid.UUID) -> SupportAgentStatus:
    db.execute(
        insert(SupportAgentStatus)
        .values(company_id=company_id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    status = db.scalar(select(SupportAgentStatus).where(SupportAgentStatus.user_id == user_id))
    assert status is not None
    return status


def set_status(
    db: Session,
    company_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    presence: SupportAgentPresence | None,
    message: str | None,
    max_chats: int | None,
    now: datetime,
) -> SupportAgentStatus:
    status = ensure_status(db, company_id, user_id)
    if presence is not None and presence is not status.status:
        status.status = presence
        status.status_changed_at = now
        _announce(db, company_id, status)
    if message is not None:
        status.status_message = message or None
    if max_chats is not None:
        status.max_concurrent_chats = max_chats
    status.last_active_at = now
    return status


def heartbeat(db: Session, company_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> SupportAgentStatus:
    status = ensure_status(db, company_id, user_id)
    status.last_active_at = now
    if status.status is SupportAgentPresence.AWAY:  # back at the keyboard
        status.status = SupportAgentPresence.ONLINE
        status.status_changed_at = now
        _announce(db, company_id, status)
    return status


def mark_idle_away(db: Session, company_id: uuid.UUID, now: datetime) -> int:
    gone_away = db.scalars(
        update(SupportAgentStatus)
        .where(
            SupportAgentStatus.company_id == company_id,
            SupportAgentStatus.status.in_((SupportAgentPresence.ONLINE, SupportAgentPresence.BUSY)),
            SupportAgentStatus.last_active_at < now - idle_threshold(),
        )
        .values(status=SupportAgentPresence.AWAY, status_changed_at=now)
        .returning(SupportAgentStatus)
        .execution_options(synchronize_session=False)
    ).all()
    for status in gone_away:
        _announce(db, company_id, status)
    return len(gone_away)


def _announce(db: Session, company_id: uuid.UUID, status: SupportAgentStatus) -> None:
    """Colleagues' consoles show presence as it changes (the live inbox)."""
    live.publish(
        db,
        company_id,
        "presence",
        {
            "presence": {
                "user_id": str(status.user_id),
                "status": status.status.value,
                "current_chat_count": status.current_chat_count,
            }
        },
    )


def take_seat(db: Session, user_id: uuid.UUID) -> bool:
    """One more conversation for this agent, if under capacity (atomic)."""
    result = db.execute(
        update(SupportAgentStatus)
        .where(
            SupportAgentStatus.user_id == user_id,
            func.coalesce(SupportAgentStatus.current_chat_count, 0)
            < func.coalesce(SupportAgentStatus.max_concurrent_chats, 5),
        )
        .values(current_chat_count=func.coalesce(SupportAgentStatus.current_chat_count, 0) + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def free_seat(db: Session, user_id: uuid.UUID | None) -> None:
    if user_id is None:
        return
    db.execute(
        update(SupportAgentStatus)
        .where(SupportAgentStatus.user_id == user_id, SupportAgentStatus.current_chat_count > 0)
        .values(current_chat_count=SupportAgentStatus.current_chat_count - 1)
    )


def pick_agent(db: Session, company_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """The least-loaded online agent with room, round robin among equals (least recently assigned
    first), and takes a seat for them. None when nobody can take the conversation now."""
    mark_idle_away(db, company_id, now)
    last_assigned = (
        select(func.max(Escalation.updated_at))
        .where(Escalation.assigned_to == SupportAgentStatus.user_id)
        .scalar_subquery()
    )
    candidates = db.scalars(
        select(SupportAgentStatus.user_id)
        .where(
            SupportAgentStatus.company_id == company_id,
            SupportAgentStatus.status == SupportAgentPresence.ONLINE,
            func.coalesce(SupportAgentStatus.current_chat_count, 0)
            < func.coalesce(SupportAgentStatus.max_concurrent_chats, 5),
        )
        .order_by(SupportAgentStatus.current_chat_count, last_assigned.asc().nulls_first())
        .limit(5)
    ).all()
    for user_id in candidates:
        if take_seat(db, user_id):  # a concurrent assignment may have filled this seat first
            return user_id
    return None


def now_utc() -> datetime:
    return datetime.now(UTC)
