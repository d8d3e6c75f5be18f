"""Keyset pagination: a page continues after (or before) the sort key of the last row it showed.

The cursor is that key, (moment, row id), opaque to callers (base64url of `iso|uuid`). Unlike an
offset, it neither skips nor repeats rows when new ones arrive between two requests.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

from chatapp.errors import InvalidInput


def encode(moment: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        moment, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        parsed = datetime.fromisoformat(moment)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "This cursor is not valid; start from the first page.", code="invalid_cursor"
        ) from None
