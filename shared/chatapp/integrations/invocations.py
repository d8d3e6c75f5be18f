"""Asynchronous Lambda invocations: work that must start at once, with no queue to poll.

Lambda queues the event itself and runs the function within milliseconds; a failed run is not
retried (the customer is waiting now, not in a minute) and lands, with Lambda's error attributes,
in the function's on-failure destination. Locally `./run dev` serves the Invoke API.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from chatapp.config import get_settings

_client: Any = None
_client_endpoint: str | None = None
_lock = threading.Lock()


def _lambda() -> Any:
    global _client, _client_endpoint
    endpoint = get_settings().lambda_endpoint_url
    if _client is None or _client_endpoint != endpoint:
        with _lock:
            if _client is None or _client_endpoint != endpoint:
                import boto3
                from botocore.config import Config

                _client = boto3.client(
                    "lambda",
                    endpoint_url=endpoint,
                    config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2}),
                )
                _client_endpoint = endpoint
    return _client


def start_answer(company_id: Any, conversation_id: Any, message_id: Any) -> None:
    """Have the streaming worker answer a stored customer message on the conversation's socket."""
    name = get_settings().answer_function_name
    if not name:
        raise RuntimeError("ANSWER_FUNCTION_NAME is not configured")
    payload = {
        "company_id": str(company_id),
        "conversation_id": str(conversation_id),
        "message_id": str(message_id),
    }
    _lambda().invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode())
