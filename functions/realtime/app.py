"""The WebSocket API of the widget and the console (API Gateway: `$connect`, `$disconnect`, `$default`).

`$connect` answers the handshake: 200 with the chosen subprotocol accepts the socket, 401 or 403
refuses it (see chatapp/surfaces/socket_routes.py). Frames go out through the management API,
from whichever function has something to say.
"""

from __future__ import annotations

from typing import Any

from chatapp.observability import logger, observed
from chatapp.surfaces import socket_routes


def _headers(event: dict[str, Any]) -> dict[str, str]:
    return {key.lower(): value for key, value in (event.get("headers") or {}).items()}


@observed
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), request.get("connectionId")
    if not connection_id:
        return {"statusCode": 400}
    if route == "$connect":
        headers = _headers(event)
        handshake = socket_routes.connect(
            connection_id,
            headers.get("sec-websocket-protocol"),
            headers.get("origin"),
            (request.get("identity") or {}).get("sourceIp"),
        )
        if handshake.status != 200:
            logger.info("socket refused", extra={"status": handshake.status, "reason": handshake.reason})
            return {"statusCode": handshake.status}
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": handshake.subprotocol}}
    if route == "$disconnect":
        socket_routes.disconnect(connection_id)
    else:
        socket_routes.receive(connection_id, event.get("body"))
    return {"statusCode": 200}
