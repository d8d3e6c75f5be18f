"""Invoke HTTP functions exactly as API Gateway would: template route -> v2 event -> handler."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devtools.runner import RouteTable, build_http_event, invoke_http
from devtools.template import functions


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any


class ApiClient:
    def __init__(self) -> None:
        self.routes = RouteTable(functions())

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        raw_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        matched = self.routes.match(method, path.split("?")[0])
        assert matched is not None, f"no route in template.yaml for {method} {path}"
        route, spec, params = matched
        all_headers = {"host": "127.0.0.1:3000", **(headers or {})}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        body = raw_body or b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["content-type"] = "application/json"
        event = build_http_event(route, method, path, all_headers, body, params)
        response, _ = invoke_http(spec, event)
        text = response.get("body") or ""
        parsed = json.loads(text) if text else None
        return ApiResponse(response["statusCode"], response.get("headers") or {}, parsed)

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return self.request("GET", path, **kwargs)
