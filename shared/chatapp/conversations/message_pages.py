"""A conversation's messages a page at a time: the latest page first, then older ones.

However long a conversation grows, a read costs one page. Pages are returned oldest first (the
order a transcript is read in) with the cursor of the page before, or None at the beginning.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from chatapp.db import keyset
from chatapp.db.enums import MessageRole
from chatapp.db.models.conversations import Message

DEFAULT_PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]  # oldest first
    older: str | None  # the cursor of the page before this one


def latest_messages(
    db: Session,
    conversation_id: uuid.UUID,
    *,
    before: str | None = None,
    limit: int = DEFAULT_PAGE,
    roles: Iterable[MessageRole] | None = None,
) -> MessagePage:
    query = select(Message).where(Message.conversation_id == conversation_id)
    if roles is not None:
        query = query.where(Message.role.in_(list(roles)))
    if before:
        query = query.where(tuple_(Message.created_at, Message.id) < keyset.decode(before))
    rows = list(db.scalars(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    older = keyset.encode(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return MessagePage(messages=page[::-1], older=older)
