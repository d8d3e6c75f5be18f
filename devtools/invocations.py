"""The local Lambda Invoke API: `lambda.invoke(...)` from a function reaches the runner, which runs
the target's real handler as Lambda would (`sam local start-lambda` does the same with Docker).

`Event` invocations run on their own thread and answer 202 at once. A run that raises goes to the
function's on-failure destination (`EventInvokeConfig` in template.yaml) as Lambda's destination
record: the event, and the error's type and message. `RequestResponse` answers with the result.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from chatapp.observability import logger
from devtools.runner import LambdaContext, _ensure_event_loop
from devtools.template import FunctionSpec

_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")


class LocalInvocations:
    def __init__(self, specs: list[FunctionSpec], queue_urls: dict[str, str]) -> None:
        self._specs = {spec.logical_id: spec for spec in specs}
        self._queue_urls = queue_urls

    def serve(self, request: BaseHTTPRequestHandler) -> bool:
        found = _PATH.match(request.path.split("?", 1)[0])
        if request.command != "POST" or found is None:
            return False
        length = int(request.headers.get("Content-Length") or 0)
        event = json.loads(request.rfile.read(length) or b"{}")
        spec = self._specs.get(found.group("name").rsplit(":", 1)[-1])
        if spec is None:
            _reply(
                request, 404, {"Type": "User", "message": "Function not found"}, "ResourceNotFoundException"
            )
        elif request.headers.get("X-Amz-Invocation-Type") == "Event":
            threading.Thread(target=self._run_event, args=(spec, event), daemon=True).start()
            _reply(request, 202, None)
        else:
            try:
                _reply(request, 200, self._invoke(spec, event))
            except Exception as error:
                _reply(request, 200, _error(error), function_error="Unhandled")
        return True

    def _invoke(self, spec: FunctionSpec, event: Any) -> Any:
        _ensure_event_loop()
        return spec.load_handler()(event, LambdaContext(function_name=spec.logical_id))

    def _run_event(self, spec: FunctionSpec, event: Any) -> None:
        try:
            self._invoke(spec, event)
        except Exception as error:  # as Lambda: no retry here (MaximumRetryAttempts 0), then the destination
            logger.error("local async invocation failed", extra={"function": spec.logical_id})
            self._dead_letter(spec, event, error)

    def _dead_letter(self, spec: FunctionSpec, event: Any, error: Exception) -> None:
        import boto3

        destination = (
            spec.properties.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        )
        if not destination:
            return
        queue_url = self._queue_urls[destination["Destination"]["Fn::GetAtt"][0]]
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:us-east-1:000000000000:function:{spec.logical_id}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 1,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": _error(error),
        }
        boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))


def _error(error: Exception) -> dict[str, str]:
    return {"errorType": type(error).__name__, "errorMessage": str(error)}


def _reply(
    request: BaseHTTPRequestHandler,
    status: int,
    body: Any,
    error_type: str | None = None,
    function_error: str | None = None,
) -> None:
    payload = json.dumps(body).encode() if body is not None else b""
    request.send_response(status)
    request.send_header("content-type", "application/json")
    if error_type:
        request.send_header("x-amzn-ErrorType", error_type)
    if function_error:
        request.send_header("X-Amz-Function-Error", function_error)
    request.send_header("content-length", str(len(payload)))
    request.end_headers()
    request.wfile.write(payload)
