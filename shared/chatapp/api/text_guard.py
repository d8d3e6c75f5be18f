"""No text with a NUL character (U+0000) gets past the API layer.

PostgreSQL cannot store U+0000 in text, and JSON, query strings and paths can all carry it
(`\\u0000`, `%00`). Rather than every string field of every model refusing it, this middleware
answers such a request as the invalid input it is (422, naming the field) before any route runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatapp.api.errors import validation_error_response

NUL = "\x00"
_MESSAGE = "Text may not contain the NUL character (U+0000)."


def _nul_in_json(value: Any, where: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield where
            yield from _nul_in_json(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_in_json(item, f"{where}.{index}")


def nul_fields(path: str, query_string: bytes, json_body: bytes | None) -> list[str]:
    """The fields (`path`, `query.<name>`, `body.<field>`) whose text holds a NUL character."""
    found = ["path"] if NUL in path else []
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    found += [f"query.{name.replace(NUL, '')}" for name, value in query if NUL in name + value]
    if json_body:
        try:
            document = json.loads(json_body)
        except ValueError:
            document = None  # not JSON: the route's own validation says so
        found += list(_nul_in_json(document, "body"))
    return list(dict.fromkeys(found))


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.split(b";")[0].strip().lower().endswith(b"json")
    return False


class NulTextGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: bytes | None = None
        if _is_json(scope):
            body, receive = await _buffered(receive)
        fields = nul_fields(scope.get("path", ""), scope.get("query_string", b""), body)
        if fields:
            response = validation_error_response([{"field": field, "message": _MESSAGE} for field in fields])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it to the app as if unread."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
