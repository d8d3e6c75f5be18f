"""Frames to open sockets through API Gateway's management API (`post_to_connection`).

The same boto3 code posts in AWS and locally: `./run dev` serves the `@connections` API on
loopback. A connection that is gone (the browser left without a clean close) is forgotten; any
other failure is logged and the frame dropped, because frames are never the record: the stored
messages are, and a widget fetches what it missed when it reconnects.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from chatapp.config import get_settings
from chatapp.observability import logger
from chatapp.realtime import connections

MAX_FRAME_BYTES = 32 * 1024  # API Gateway's WebSocket frame limit

_client: Any = None
_client_endpoint: str | None = None
_lock = threading.Lock()


def _management_client() -> Any:
    """One client per warm container (and per endpoint: tests move it)."""
    global _client, _client_endpoint
    endpoint = get_settings().realtime_management_url
    if _client is None or _client_endpoint != endpoint:
        with _lock:
            if _client is None or _client_endpoint != endpoint:
                import boto3
                from botocore.config import Config

                _client = boto3.client(
                    "apigatewaymanagementapi",
                    endpoint_url=endpoint,
                    config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}),
                )
                _client_endpoint = endpoint
    return _client


def encode(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, default=str, separators=(",", ":")).encode()


def post(connection_ids: list[str], frame: dict[str, Any]) -> int:
    """Send `frame` to each connection; returns how many took it."""
    if not connection_ids or not get_settings().realtime_management_url:
        return 0
    data = encode(frame)
    if len(data) > MAX_FRAME_BYTES:
        logger.warning("realtime frame too large", extra={"type": frame.get("type"), "bytes": len(data)})
        return 0
    client = _management_client()
    gone, sent = [], 0
    for connection_id in connection_ids:
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
            sent += 1
        except client.exceptions.GoneException:
            gone.append(connection_id)
        except Exception as error:  # a frame is an optimisation: never fail the turn for one
            logger.warning("realtime post failed", extra={"error_type": type(error).__name__})
    connections.forget(*gone)
    return sent
