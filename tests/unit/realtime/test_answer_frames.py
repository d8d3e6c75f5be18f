"""How an answer's text is cut into frames: the first piece at once, then about every 50 ms or 200
characters, in order, with searches and the end flushing what waits."""

from __future__ import annotations

import threading
import time
from typing import Any

from chatapp.realtime.frames import BATCH_CHARS, AnswerFrames


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Wire:
    """Records what would be posted, and to whom."""

    def __init__(self) -> None:
        self.frames: list[tuple[list[str], dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, connection_ids: list[str], frame: dict[str, Any]) -> int:
        with self.lock:
            self.frames.append((connection_ids, frame))
        return len(connection_ids)


def _frames(clock: Clock, wire: Wire) -> AnswerFrames:
    return AnswerFrames(["c1", "c2"], reply_to="m1", post=wire, clock=clock)


def test_the_first_piece_goes_at_once_then_pieces_wait_for_50_ms() -> None:
    clock, wire = Clock(), Wire()
    frames = _frames(clock, wire)
    frames.delta("Hel")
    for piece, at in (("lo", 0.01), (", wor", 0.03), ("ld", 0.051), ("!", 0.06)):
        clock.now = at
        frames.delta(piece)
    frames.done({"id": "r1", "content": "Hello, world!"}, "active", False)
    frames.close()
    sent = [frame for _, frame in wire.frames]
    assert [f["type"] for f in sent] == ["answer.delta", "answer.delta", "answer.delta", "answer.done"]
    assert [f.get("text") for f in sent[:3]] == ["Hel", "lo, world", "!"]
    assert all(ids == ["c1", "c2"] and frame["reply_to"] == "m1" for ids, frame in wire.frames)
    assert frames.streamed_chars == len("Hello, world!")


def test_200_characters_go_without_waiting_and_a_search_flushes_first() -> None:
    clock, wire = Clock(), Wire()
    frames = _frames(clock, wire)
    frames.delta("a")
    frames.delta("b" * (BATCH_CHARS - 1))
    frames.delta("c" * BATCH_CHARS)  # the clock never moved: size alone sends it
    frames.delta("d")
    frames.searching("returns policy")
    frames.error("answer_interrupted", "broke off")
    frames.done(None, "active", False)
    frames.close()
    sent = [frame for _, frame in wire.frames]
    assert [f["type"] for f in sent] == [
        "answer.delta",
        "answer.delta",
        "answer.delta",
        "answer.searching",
        "answer.error",
        "answer.done",
    ]
    assert [len(f["text"]) for f in sent[:3]] == [1, 2 * BATCH_CHARS - 1, 1]
    assert sent[3]["query"] == "returns policy" and sent[5]["message"] is None


def test_a_slow_post_never_holds_up_the_answer() -> None:
    """The turn hands frames over and goes on; a post stuck for now only delays its own frames."""
    released, wire = threading.Event(), Wire()

    def stuck(connection_ids: list[str], frame: dict[str, Any]) -> int:
        released.wait(5)
        return wire(connection_ids, frame)

    clock = Clock()
    frames = AnswerFrames(["c1"], reply_to="m1", post=stuck, clock=clock)
    started = time.monotonic()
    frames.delta("first")
    frames.searching("shipping")
    for index in range(50):
        clock.now = index * 0.06
        frames.delta(f" piece {index}")
    frames.done({"id": "r1"}, "active", False)
    handed_over = time.monotonic() - started
    assert handed_over < 0.5 and wire.frames == []  # nothing posted yet, and nobody waited for it
    released.set()
    frames.close()
    sent = [frame for _, frame in wire.frames]
    assert sent[0] == {"type": "answer.delta", "reply_to": "m1", "text": "first"}
    assert sent[-1]["type"] == "answer.done"
    assert "".join(f.get("text", "") for f in sent) == "first" + "".join(f" piece {i}" for i in range(50))
