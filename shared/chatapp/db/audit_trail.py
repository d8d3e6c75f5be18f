"""The audit trail of console changes, written by the database session itself.

Every transaction opened for a signed-in console user records what it changed through the ORM:
one `chatapp_audit_logs` row per created, updated or deleted row, with the changed columns'
before and after values (secrets redacted), the actor, and the request's IP address and user
agent. Because it hangs off the session, a new endpoint is audited without remembering to be, and
the entries commit or roll back with the change. Counters moved by plain UPDATE statements
(message counts, seats) and bookkeeping tables are deliberately not audited.
"""

from __future__ import annotations

import enum
import ipaddress
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from chatapp.db.models.audit import AuditLog

# Tables whose changes are bookkeeping, not decisions people make.
UNAUDITED_TABLES = {
    "chatapp_audit_logs",
    "chatapp_sessions",
    "chatapp_verification_tokens",
    "chatapp_rate_limit_records",
    "chatapp_usage_records",
    "chatapp_daily_analytics",
    "chatapp_webhook_outbox",
}
# Columns that change on their own (heartbeats, counters) do not make an update worth a row.
NOISE_COLUMNS = {"updated_at", "last_active_at", "current_chat_count", "usage_count", "last_used_at"}
_SECRET_HINTS = ("token", "secret", "hash", "password", "credentials", "api_key")
REDACTED = "[redacted]"


@dataclass(frozen=True)
class RequestMetadata:
    ip: str | None = None
    user_agent: str | None = None


# RequestMetadata is frozen, so sharing one default instance is safe.
current_request: ContextVar[RequestMetadata] = ContextVar("current_request", default=RequestMetadata())  # noqa: B039


def normalised_ip(value: str | None) -> str | None:
    """An address the INET column accepts, or None (a missing or 'unknown' source)."""
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def attach(session: Session, *, user_id: uuid.UUID, company_id: uuid.UUID | None) -> None:
    """Audit what this session changes, as `user_id` acting in `company_id`."""

    @event.listens_for(session, "after_flush")
    def record_changes(db: Session, _context: Any) -> None:
        # History is still readable here; the rows added now are flushed by the same commit.
        request = current_request.get()
        entries = [
            entry
            for kind, rows in (("create", db.new), ("update", db.dirty), ("delete", db.deleted))
            for row in rows
            if (entry := _entry(kind, row)) is not None
        ]
        for action, table, resource_id, before, after in entries:
            details: dict[str, Any] = {}
            if before:
                details["before"] = before
            if after:
                details["after"] = after
            db.add(
                AuditLog(
                    action=action,
                    company_id=company_id,
                    user_id=user_id,
                    resource_type=table.removeprefix("chatapp_"),
                    resource_id=resource_id,
                    details=details,
                    ip_address=request.ip,
                    user_agent=(request.user_agent or "")[:500] or None,
                )
            )


def _entry(
    kind: str, row: object
) -> tuple[str, str, uuid.UUID | None, dict[str, Any], dict[str, Any]] | None:
    table = getattr(row, "__tablename__", None)
    if table is None or table in UNAUDITED_TABLES:
        return None
    state = inspect(row)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attribute in state.mapper.column_attrs:
        name = attribute.key
        column = attribute.columns[0].name
        history = state.attrs[name].history
        if kind == "create":
            value = getattr(row, name)
            if value is not None:
                after[column] = _safe(column, value)
        elif kind == "delete":
            value = (
                history.unchanged[0]
                if history.unchanged
                else (history.deleted[0] if history.deleted else None)
            )
            if value is not None:
                before[column] = _safe(column, value)
        elif history.has_changes() and column not in NOISE_COLUMNS:
            before[column] = _safe(column, history.deleted[0] if history.deleted else None)
            after[column] = _safe(column, history.added[0] if history.added else None)
    if kind == "update" and not after:
        return None
    resource_id = getattr(row, "id", None)
    return f"{table.removeprefix('chatapp_')}.{kind}", table, resource_id, before, after


def _safe(column: str, value: Any) -> Any:
    if any(hint in column for hint in _SECRET_HINTS):
        return REDACTED
    if isinstance(value, uuid.UUID | datetime | date | Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)
