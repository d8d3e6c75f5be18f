"""Finding a conversation by id within the caller's company: one rule for every surface."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Conversation
from chatapp.db.ownership import owned
from chatapp.errors import NotFound


def conversation_by_id(db: Session, conversation_id: uuid.UUID, *, lock: bool = False) -> Conversation:
    """Another company's conversation, a deleted one and a test run's sandbox are simply not found
    (the test run shows its own answers)."""
    conversation = owned(db, Conversation, conversation_id, lock=lock)
    if conversation is None or conversation.deleted_at is not None or conversation.is_sandbox:
        raise NotFound("No such conversation.", code="conversation_not_found")
    return conversation
