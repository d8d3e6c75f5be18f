"""Every function named in template.yaml is imported and invoked with each of its sample events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from chatapp.db.migrate import alembic_config
from devtools.runner import LambdaContext, _ensure_event_loop
from devtools.template import ROOT, functions
from tests.integration.tenant_data import Tenants

SPECS = functions()
CASES = [
    (spec, path) for spec in SPECS for path in sorted((ROOT / "events" / spec.code_uri.name).glob("*.json"))
]


def test_every_function_has_sample_events() -> None:
    for spec in SPECS:
        assert list((ROOT / "events" / spec.code_uri.name).glob("*.json")), (
            f"no sample events for {spec.logical_id}"
        )


@pytest.fixture
def custom_resource_endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback stand-in for CloudFormation's pre-signed response URL."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/response", received
    server.shutdown()


@pytest.mark.parametrize(
    ("spec", "path"), CASES, ids=lambda v: getattr(v, "name", getattr(v, "logical_id", ""))
)
def test_sample_event(spec, path: Path, tenants: Tenants, custom_resource_endpoint, local_aws) -> None:
    response_url, received = custom_resource_endpoint
    raw = (
        path.read_text()
        .replace("{{session_token}}", tenants.a.tokens["admin"])
        .replace("{{api_key}}", tenants.a.tokens["api_key"])
        .replace("{{company_id}}", str(tenants.a.company_id))
        .replace("{{agent_id}}", str(tenants.a.agent_id))
        .replace("{{response_url}}", response_url)
    )
    event = json.loads(raw)
    _ensure_event_loop()
    result = spec.load_handler()(event, LambdaContext(function_name=spec.logical_id))

    if event.get("version") == "2.0":
        body = json.loads(result["body"])
        # `name.201.json` expects 201; plain names expect 200.
        expected = int(path.stem.rsplit(".", 1)[1]) if "." in path.stem else 200
        if "unauthenticated" in path.stem:
            assert result["statusCode"] == 401 and body["error"]["code"] == "unauthenticated"
        else:
            assert result["statusCode"] == expected, body
            if "company" in path.stem and "category" not in path.stem:
                assert body["id"] == str(tenants.a.company_id)
    elif (event.get("requestContext") or {}).get("eventType"):  # the WebSocket API's routes
        expected = int(path.stem.rsplit(".", 1)[1]) if "." in path.stem else 200
        assert result["statusCode"] == expected, result
    elif "message_id" in event:  # the streaming worker, invoked asynchronously by the chat function
        assert result == {"answered": False}  # a message that does not exist has nothing to answer
    elif "Records" in event:
        assert result == {"batchItemFailures": []}  # a message for a file that does not exist is stale
    elif (
        event.get("source") == "aws.events" or "job" in event or "schedule" in event
    ):  # EventBridge schedules
        assert isinstance(result, dict) and json.dumps(result)  # the job ran and reported what it did
    elif event.get("RequestType") == "Delete":
        assert result["skipped"] is True
        assert received[0]["Status"] == "SUCCESS"
    else:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert result["revision"] == head
        if "ResponseURL" in event:
            assert received[0]["Status"] == "SUCCESS" and received[0]["Data"] == {"Revision": head}
            assert received[0]["RequestId"] == event["RequestId"]
