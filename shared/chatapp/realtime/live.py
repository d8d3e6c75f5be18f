"""Inbox events for the console's sockets, after commit (docs/realtime.md, "The live inbox").

`publish` writes an event to `chatapp_realtime_outbox` in the transaction of the change it reports,
so a rolled-back change never shows. Once that transaction commits, a background deliverer sends
it and deletes the row; `relay` (every minute) sends what a crashed delivery left, so a committed
event is never lost. Lambda handlers wait for the deliverer before returning (`observed`), because
a frozen container would otherwise hold the frames until its next request.

Who gets a frame is decided per event, when sending, never at subscribe: for each open console
socket of the company, the same transaction switches to that user's row-level-security context and
reads the event's conversation. A support agent sees only conversations assigned to them or to
nobody, and the frame says so at the moment it leaves. No system session reads a recipient list.
Typing is ephemeral: `send_now` fans it out the same way, with no outbox row.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, event, func, or_, select
from sqlalchemy.orm import Session

from chatapp.db.enums import EscalationStatus
from chatapp.db.models.conversations import Conversation, Escalation
from chatapp.db.models.core import User
from chatapp.db.models.realtime import RealtimeConnection, RealtimeOutboxEvent
from chatapp.db.tenancy import ContextRole, TenantContext, switch_context, system_session, tenant_session
from chatapp.observability import before_return, logger
from chatapp.realtime import push

# Events whose frames also carry each recipient's queue counts (the inbox badge).
QUEUE_EVENTS = frozenset({"escalation.created", "escalation.assigned", "escalation.closed"})
RELAY_AFTER = timedelta(seconds=30)  # younger rows may still be in their after-commit delivery
_PENDING = "chatapp.realtime.live.pending"
_LISTENING = "chatapp.realtime.live.listening"
_WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class LiveEvent:
    company_id: uuid.UUID
    event_type: str
    payload: dict[str, Any]
    conversation_id: uuid.UUID | None = None
    # The person a conversation has just been taken from: told it is gone, since it no longer shows.
    previous_assignee: uuid.UUID | None = None


def publish(
    db: Session,
    company_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    *,
    conversation_id: uuid.UUID | None = None,
    previous_assignee: uuid.UUID | None = None,
) -> None:
    """Record an inbox event in `db`'s transaction; it leaves once that transaction commits. With no
    console socket open in the company nothing is recorded: a console loads the inbox over HTTP
    once its socket is open, so it has missed nothing from before."""
    if not _console_listening(db, company_id):
        return
    row = RealtimeOutboxEvent(
        id=uuid.uuid4(),
        company_id=company_id,
        conversation_id=conversation_id,
        event_type=event_type,
        payload={**payload, "previous_assignee": str(previous_assignee) if previous_assignee else None},
    )
    db.add(row)
    pending: list[tuple[uuid.UUID, uuid.UUID]] | None = db.info.get(_PENDING)
    if pending is None:
        pending = db.info[_PENDING] = []
        event.listen(db, "after_commit", _deliver_after_commit)
        event.listen(db, "after_rollback", _forget_pending)
    pending.append((company_id, row.id))


def _console_listening(db: Session, company_id: uuid.UUID) -> bool:
    """Asked once per transaction (a turn publishes several events)."""
    known: dict[uuid.UUID, bool] = db.info.setdefault(_LISTENING, {})
    if company_id not in known:
        known[company_id] = bool(
            db.scalar(
                select(RealtimeConnection.id)
                .where(
                    RealtimeConnection.company_id == company_id,
                    RealtimeConnection.kind == "console",
                    RealtimeConnection.expires_at > datetime.now(UTC),
                )
                .limit(1)
            )
        )
    return known[company_id]


def send_now(live: LiveEvent) -> int:
    """An ephemeral event (typing) to the console sockets that may see it; returns frames sent."""
    with tenant_session(TenantContext.company_service(live.company_id)) as db:
        return _fan_out(db, live.company_id, [live])


def deliver(company_id: uuid.UUID, event_ids: Iterable[uuid.UUID]) -> int:
    """Send and delete these outbox events of one company; returns how many frames went out."""
    ids = list(event_ids)
    with tenant_session(TenantContext.company_service(company_id)) as db:
        rows = db.scalars(
            select(RealtimeOutboxEvent)
            .where(RealtimeOutboxEvent.id.in_(ids))
            .order_by(RealtimeOutboxEvent.created_at)
            .with_for_update(skip_locked=True)  # the relay and the after-commit deliverer race
        ).all()
        if not rows:
            return 0
        events = [_event_of(row) for row in rows]
        sent = _fan_out(db, company_id, events)
        db.execute(delete(RealtimeOutboxEvent).where(RealtimeOutboxEvent.id.in_([r.id for r in rows])))
        return sent


def relay(now: datetime | None = None) -> int:
    """Deliver the events an after-commit delivery did not (a crash, a timeout); returns how many."""
    cutoff = (now or datetime.now(UTC)) - RELAY_AFTER
    with system_session("find inbox events left undelivered") as db:
        left = db.execute(
            select(RealtimeOutboxEvent.company_id, RealtimeOutboxEvent.id).where(
                RealtimeOutboxEvent.created_at < cutoff
            )
        ).all()
    by_company: dict[uuid.UUID, list[uuid.UUID]] = {}
    for company_id, event_id in left:
        by_company.setdefault(company_id, []).append(event_id)
    for company_id, event_ids in by_company.items():
        deliver(company_id, event_ids)
    return len(left)


def wait_for_deliveries(timeout: float = _WAIT_SECONDS) -> None:
    """Block until the after-commit deliveries started so far are done (the relay covers the rest)."""
    with _lock:
        running = list(_running)
    wait(running, timeout=timeout)


# ----------------------------------------------------------------------------- fan-out


@dataclass(frozen=True)
class _Recipient:
    user_id: uuid.UUID
    role: ContextRole
    connection_ids: tuple[str, ...]


def _fan_out(db: Session, company_id: uuid.UUID, events: list[LiveEvent]) -> int:
    """Each event to each console socket whose user may see it now, read under that user's own
    row-level security in `db`'s transaction (which is left in the company's service context)."""
    recipients = _recipients(db)
    if not recipients:
        return 0
    frames: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    conversation_ids = {e.conversation_id for e in events if e.conversation_id is not None}
    try:
        for recipient in recipients:
            switch_context(db, TenantContext(recipient.role, company_id, recipient.user_id))
            visible = _visible(db, conversation_ids)
            counts = (
                _queue_counts(db, recipient.user_id)
                if any(e.event_type in QUEUE_EVENTS for e in events)
                else None
            )
            for live in events:
                frame = _frame_for(live, recipient, visible, counts)
                if frame is not None:
                    frames.setdefault(recipient.connection_ids, []).append(frame)
    finally:
        switch_context(db, TenantContext.company_service(company_id))
    sent = 0
    for connection_ids, queued in frames.items():
        for frame in queued:
            sent += push.post(list(connection_ids), frame)
    return sent


def _recipients(db: Session) -> list[_Recipient]:
    now = datetime.now(UTC)
    rows = db.execute(
        select(RealtimeConnection.user_id, User.role, RealtimeConnection.connection_id)
        .join(User, User.id == RealtimeConnection.user_id)
        .where(
            RealtimeConnection.kind == "console",
            RealtimeConnection.expires_at > now,
            User.is_active.is_(True),
            User.deleted_at.is_(None),
            or_(User.access_expires_at.is_(None), User.access_expires_at > now),
        )
        .order_by(RealtimeConnection.user_id)
    ).all()
    by_user: dict[uuid.UUID, tuple[ContextRole, list[str]]] = {}
    for user_id, role, connection_id in rows:
        by_user.setdefault(user_id, (ContextRole(role.value), []))[1].append(connection_id)
    return [_Recipient(user, role, tuple(ids)) for user, (role, ids) in by_user.items()]


def _visible(db: Session, conversation_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not conversation_ids:
        return set()
    return set(db.scalars(select(Conversation.id).where(Conversation.id.in_(conversation_ids))))


def _queue_counts(db: Session, user_id: uuid.UUID) -> dict[str, int]:
    waiting, mine = db.execute(
        select(
            func.count().filter(Escalation.status == EscalationStatus.PENDING),
            func.count().filter(
                Escalation.assigned_to == user_id,
                Escalation.status.in_((EscalationStatus.ASSIGNED, EscalationStatus.IN_PROGRESS)),
            ),
        )
    ).one()
    return {"waiting": int(waiting), "mine": int(mine)}


def _frame_for(
    live: LiveEvent, recipient: _Recipient, visible: set[uuid.UUID], counts: dict[str, int] | None
) -> dict[str, Any] | None:
    conversation = str(live.conversation_id) if live.conversation_id else None
    if live.conversation_id is not None and live.conversation_id not in visible:
        if live.previous_assignee == recipient.user_id:
            return {"type": "conversation.gone", "conversation_id": conversation}
        return None
    frame: dict[str, Any] = {"type": live.event_type, **live.payload}
    if conversation:
        frame["conversation_id"] = conversation
    if counts is not None and live.event_type in QUEUE_EVENTS:
        frame["queue"] = counts
    return frame


def _event_of(row: RealtimeOutboxEvent) -> LiveEvent:
    payload = dict(row.payload)
    previous = payload.pop("previous_assignee", None)
    return LiveEvent(
        company_id=row.company_id,
        event_type=row.event_type,
        payload=payload,
        conversation_id=row.conversation_id,
        previous_assignee=uuid.UUID(previous) if previous else None,
    )


# ----------------------------------------------------------------------------- after commit

_lock = threading.Lock()
_running: set[Future[int]] = set()


@cache
def _deliverer() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="inbox-events")


def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)
    db.info.pop(_LISTENING, None)


def _deliver_after_commit(db: Session) -> None:
    pending: list[tuple[uuid.UUID, uuid.UUID]] | None = db.info.pop(_PENDING, None)
    db.info.pop(_LISTENING, None)
    if not pending:
        return
    by_company: dict[uuid.UUID, list[uuid.UUID]] = {}
    for company_id, event_id in pending:
        by_company.setdefault(company_id, []).append(event_id)
    for company_id, event_ids in by_company.items():
        future = _deliverer().submit(_deliver_quietly, company_id, event_ids)
        with _lock:
            _running.add(future)
        future.add_done_callback(_finished)


def _finished(future: Future[int]) -> None:
    with _lock:
        _running.discard(future)


def _deliver_quietly(company_id: uuid.UUID, event_ids: list[uuid.UUID]) -> int:
    try:
        return deliver(company_id, event_ids)
    except Exception as error:  # the rows stay; the relay sends them
        logger.warning("inbox event delivery failed", extra={"error_type": type(error).__name__})
        return 0


before_return(wait_for_deliveries)
