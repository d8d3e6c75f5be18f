"""What became of the copilot's suggestions (docs/copilot.md): settled by the reply that used one
(sent as it was, or edited), ignored when a reply went without it or the conversation left the
person. Kept apart from `copilot` so the inbox's reply path loads no retrieval or model code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from chatapp.db.models.conversations import Message
from chatapp.db.models.copilot import ReplySuggestion
from chatapp.errors import NotFound


def settle(
    db: Session, conversation_id: uuid.UUID, suggestion_id: uuid.UUID | None, sent: Message, now: datetime
) -> None:
    """A person's reply went out: the suggestion it used is sent (unchanged) or edited, and every
    other open suggestion of the conversation is ignored. Inside the reply's transaction."""
    if suggestion_id is not None:
        used = db.get(ReplySuggestion, suggestion_id, with_for_update=True)
        if used is None or used.conversation_id != conversation_id:
            raise NotFound("No such suggestion in this conversation.", code="suggestion_not_found")
        if used.status == "suggested":
            unchanged = " ".join(used.content.split()) == " ".join(sent.content.split())
            used.status = "sent" if unchanged else "edited"
            used.sent_message_id, used.resolved_at = sent.id, now
    db.execute(
        update(ReplySuggestion)
        .where(ReplySuggestion.conversation_id == conversation_id, ReplySuggestion.status == "suggested")
        .values(status="ignored", resolved_at=now)
    )


def ignore_open(db: Session, conversation_id: uuid.UUID, now: datetime | None = None) -> None:
    """The conversation left the person (resolved, back to the AI): what was not sent is ignored."""
    db.execute(
        update(ReplySuggestion)
        .where(ReplySuggestion.conversation_id == conversation_id, ReplySuggestion.status == "suggested")
        .values(status="ignored", resolved_at=now or datetime.now(UTC))
    )
