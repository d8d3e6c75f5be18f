"""One answer's frames to a conversation's sockets, sent in order by a background sender.

The model's stream is read on the turn's thread; posting each frame is an HTTP call to API
Gateway, so frames go through a queue to one sender thread and a slow post never holds up the
model. Text is sent as the first delta at once (time to first token is what a customer feels),
then batched about every `BATCH_SECONDS` or `BATCH_CHARS`, for API Gateway's per-frame cost.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from chatapp.realtime import push

BATCH_SECONDS = 0.05
BATCH_CHARS = 200
DRAIN_SECONDS = 10.0  # how long `close` waits for the sender; frames after that are dropped

Post = Callable[[list[str], dict[str, Any]], int]


class AnswerFrames:
    """`searching` and `delta` as the agent works, then `done` (and `error` before it if it broke)."""

    def __init__(
        self,
        connection_ids: list[str],
        reply_to: str,
        post: Post = push.post,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connection_ids = connection_ids
        self._reply_to = reply_to
        self._post = post
        self._clock = clock
        self._pending: list[str] = []
        self._pending_chars = 0
        self._last_flush: float | None = None
        self.streamed_chars = 0  # text heard so far: what the customer may already have seen
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send_all, name="answer-frames", daemon=True)
        self._sender.start()

    def searching(self, query: str) -> None:
        self._flush()
        self._queue.put({"type": "answer.searching", "reply_to": self._reply_to, "query": query[:200]})

    def delta(self, text: str) -> None:
        if not text:
            return
        self.streamed_chars += len(text)
        self._pending.append(text)
        self._pending_chars += len(text)
        now = self._clock()
        if (
            self._last_flush is None
            or now - self._last_flush >= BATCH_SECONDS
            or self._pending_chars >= BATCH_CHARS
        ):
            self._flush(now)

    def error(self, code: str, message: str) -> None:
        self._flush()
        self._queue.put(
            {"type": "answer.error", "reply_to": self._reply_to, "code": code, "message": message}
        )

    def done(self, message: dict[str, Any] | None, status: str, escalated: bool) -> None:
        """`message` is the stored reply, or None when none was stored (a person took over)."""
        self._flush()
        self._queue.put(
            {
                "type": "answer.done",
                "reply_to": self._reply_to,
                "message": message,
                "status": status,
                "escalated": escalated,
            }
        )

    def close(self) -> None:
        """Send what is queued, then stop the sender."""
        self._flush()
        self._queue.put(None)
        self._sender.join(DRAIN_SECONDS)

    def _flush(self, now: float | None = None) -> None:
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending, self._pending_chars = [], 0
        self._last_flush = self._clock() if now is None else now
        self._queue.put({"type": "answer.delta", "reply_to": self._reply_to, "text": text})

    def _send_all(self) -> None:
        while (frame := self._queue.get()) is not None:
            self._post(self._connection_ids, frame)
