"""Keyset pagination: a page continues after (or before) the sort key of the last row it showed.

The cursor is that key, (moment, row id), opaque to callers (base64url of `iso|uuid`). Unlike an
offset, it neither skips nor repeats rows when new ones arrive between two requests. Polling for
what is new since a moment uses a moment-only cursor (`encode_moment`). Every API's cursors are
made here, so every bad cursor is the same 400 `invalid_cursor`.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from chatapp.errors import InvalidInput

_INVALID = "This cursor is not valid; start from the first page."


def encode(moment: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        moment, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        parsed = datetime.fromisoformat(moment)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(_INVALID, code="invalid_cursor") from None


def older_than(moment: Any, row_id: Any, cursor: str) -> ColumnElement[bool]:
    """The rows after `cursor` in a newest-first listing (`moment` desc, then `row_id` desc)."""
    at, last_id = decode(cursor)
    return or_(moment < at, and_(moment == at, row_id < last_id))


def encode_moment(moment: datetime | None) -> str | None:
    return base64.urlsafe_b64encode(moment.isoformat().encode()).decode() if moment else None


def decode_moment(cursor: str | None) -> datetime | None:
    if not cursor:
        return None
    try:
        parsed = datetime.fromisoformat(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(_INVALID, code="invalid_cursor") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
