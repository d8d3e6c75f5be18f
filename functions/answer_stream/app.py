"""Streams an answer to a conversation's open widget sockets (docs/realtime.md). The chat API stored
the customer's message, answered 202 and invoked this asynchronously with the message's ids.

Not retried (EventInvokeConfig: the customer is waiting now): a run that fails tells the widget it
gave up, and Lambda sends the event with its error to the AnswerDeadLetterQueue. Heavy modules
load at init, as in the chat function (SnapStart snapshots them).
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import anthropic  # noqa: F401

from chatapp.config import get_settings
from chatapp.observability import logger, observed
from chatapp.snapstart import register_after_restore, reopen_connections
from chatapp.surfaces import widget_streaming

if get_settings().qdrant_url:
    import qdrant_client  # noqa: F401

register_after_restore(reopen_connections)


@observed
def handler(event: dict[str, Any], _context: Any) -> dict[str, bool]:
    ids = (
        uuid.UUID(event["company_id"]),
        uuid.UUID(event["conversation_id"]),
        uuid.UUID(event["message_id"]),
    )
    try:
        answered = widget_streaming.stream_answer(*ids)
    except Exception as error:
        logger.error("streamed answer failed", extra={"error_type": type(error).__name__})
        with contextlib.suppress(Exception):
            widget_streaming.give_up_answer(*ids)
        raise  # Lambda records the failure and dead-letters the event
    return {"answered": answered}
