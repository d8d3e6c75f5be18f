"""The published contracts: `./run dev` serves the merged OpenAPI of each API and a page rendering it."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from devtools import web_static
from devtools.contracts import merged_openapi

PUBLIC_OPERATIONS = {
    ("get", "/v1/companies/me"): "read:company",
    ("get", "/v1/companies/{company_id}"): "read:company",
    ("get", "/v1/public/conversations"): "read:conversations",
    ("get", "/v1/public/conversations/{conversation_id}"): "read:conversations",
    ("post", "/v1/public/conversations/{conversation_id}/messages"): "write:messages",
    ("get", "/v1/public/analytics/summary"): "read:analytics",
}


def _served(path: str) -> Any:
    response = web_static.respond("GET", path)
    assert response is not None and response.status == 200, path
    assert response.headers["content-type"] == "application/json"
    return json.loads(response.body)


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m, p): op for p, methods in document["paths"].items() for m, op in methods.items()}


def _refs_resolve(document: dict[str, Any]) -> None:
    for name in re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)):
        assert name in document["components"]["schemas"], name


def test_the_public_api_is_what_an_api_key_reaches_each_with_its_scope(migrated_database: str) -> None:
    public = _served("/openapi/public.json")
    operations = _operations(public)
    assert {key: op["security"] for key, op in operations.items()} == {
        key: [{"apiKey": [scope]}] for key, scope in PUBLIC_OPERATIONS.items()
    }
    assert set(public["components"]["securitySchemes"]) == {"apiKey"}
    for operation in operations.values():
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        assert {"401", "403", "default"} <= operation["responses"].keys()
    assert {"ErrorResponse", "ValidationErrorResponse"} <= public["components"]["schemas"].keys()
    _refs_resolve(public)


def test_the_console_and_widget_apis_are_their_own(migrated_database: str) -> None:
    console = _served("/openapi/console.json")
    operations = _operations(console)
    assert len(operations) >= 110
    assert not any(path.startswith(("/v1/public/", "/v1/widget/", "/_url/")) for _, path in operations)
    assert ("post", "/v1/auth/signup") in operations and "security" not in operations[
        ("post", "/v1/auth/signup")
    ]
    assert operations[("get", "/v1/companies/me")]["security"] == [{"consoleSession": []}]
    assert set(console["components"]["securitySchemes"]) == {"consoleSession"}
    _refs_resolve(console)
    widget = _served("/openapi/widget.json")
    assert all(path.startswith("/v1/widget/") for _, path in _operations(widget))
    _refs_resolve(widget)
    assert merged_openapi("public")["info"]["title"] == "Buzzi public API"
    missing = web_static.respond("GET", "/openapi/secret.json")
    assert missing is not None and missing.status == 404


def test_the_reference_page_needs_nothing_from_the_internet() -> None:
    page = web_static.respond("GET", "/docs/api")
    assert page is not None and page.status == 200
    html = page.body.decode()
    assert "/openapi/" in html and "<script>" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the page loads nothing from elsewhere"


@pytest.fixture
def runner(migrated_database: str) -> Iterator[str]:
    import threading

    from devtools.aws_local import free_port
    from devtools.runner import RouteTable, make_server
    from devtools.template import functions

    port = free_port()
    server = make_server(RouteTable(functions()), port=port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def test_the_local_runner_serves_them(runner: str) -> None:
    with urllib.request.urlopen(f"{runner}/openapi/public.json", timeout=30) as response:  # noqa: S310
        assert json.load(response)["info"]["title"] == "Buzzi public API"
    with urllib.request.urlopen(f"{runner}/docs/api", timeout=30) as response:  # noqa: S310
        assert response.headers["content-type"].startswith("text/html")
