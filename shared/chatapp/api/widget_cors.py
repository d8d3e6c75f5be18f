"""CORS for the public widget API, per agent: a page may call an agent's endpoints only if its
origin matches that agent's widget `allowed_domains`.

API Gateway's own CORS settings are one list for a whole API, so the widget API has none and
this middleware answers preflights and labels responses instead.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from chatapp.agents.origins import origin_allowed
from chatapp.errors import NotFound
from chatapp.surfaces.widget_origins import allowed_origins

_AGENT_PATH = re.compile(r"^/v1/widget/agents/([0-9a-fA-F-]{36})(?:/|$)")
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"


def _allowed(path: str, origin: str | None) -> bool:
    match = _AGENT_PATH.match(path)
    if not match or not origin:
        return False
    try:
        return origin_allowed(origin, allowed_origins(uuid.UUID(match.group(1))))
    except (ValueError, NotFound):
        return False


def install_widget_cors(app: FastAPI) -> None:
    @app.middleware("http")
    async def widget_cors(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        origin = request.headers.get("origin")
        allowed = _allowed(request.url.path, origin)
        if request.method == "OPTIONS" and request.headers.get("access-control-request-method"):
            if not allowed:
                return Response(status_code=403, headers={"Vary": "Origin"})
            return Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": origin or "",
                    "Access-Control-Allow-Methods": ALLOW_METHODS,
                    "Access-Control-Allow-Headers": ALLOW_HEADERS,
                    "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                    "Vary": "Origin",
                },
            )
        response = await call_next(request)
        response.headers["Vary"] = "Origin"
        if allowed and origin:
            response.headers["Access-Control-Allow-Origin"] = origin
        return response
