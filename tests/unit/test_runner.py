from __future__ import annotations

import base64

from devtools.runner import RouteTable, build_http_event
from devtools.template import FunctionSpec, Route


def _spec(name: str, *routes: Route) -> FunctionSpec:
    return FunctionSpec(
        logical_id=name,
        code_uri=__import__("pathlib").Path("."),
        handler="app.handler",
        properties={},
        routes=list(routes),
    )


def test_routes_match_like_api_gateway_most_specific_first() -> None:
    table = RouteTable(
        [
            _spec("Proxy", Route("ANY", "/v1/{proxy+}")),
            _spec("ById", Route("GET", "/v1/companies/{company_id}")),
            _spec("Me", Route("GET", "/v1/companies/me")),
        ]
    )
    route, spec, params = table.match("GET", "/v1/companies/me")
    assert (route.path, spec.logical_id, params) == ("/v1/companies/me", "Me", {})
    route, spec, params = table.match("GET", "/v1/companies/123")
    assert (spec.logical_id, params) == ("ById", {"company_id": "123"})
    route, spec, params = table.match("DELETE", "/v1/companies/123")
    assert (route.method, spec.logical_id, params) == ("ANY", "Proxy", {"proxy": "companies/123"})
    assert table.match("GET", "/elsewhere") is None


def test_http_event_has_the_v2_shape() -> None:
    route = Route("POST", "/v1/things/{id}")
    event = build_http_event(
        route,
        "POST",
        "/v1/things/7?a=1&a=2&b=",
        {"content-type": "application/json"},
        b'{"x": 1}',
        {"id": "7"},
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/things/{id}"
    assert event["rawPath"] == "/v1/things/7" and event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"id": "7"}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["body"] == '{"x": 1}' and event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    event = build_http_event(
        Route("PUT", "/f"), "PUT", "/f", {"content-type": "application/pdf"}, b"\x00\x01", {}
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01"


def test_a_text_typed_body_that_is_not_utf8_is_passed_as_bytes() -> None:
    # Found by `./run fuzz`: a JSON content type over bytes that are not UTF-8 crashed the runner
    # before the function was called (the caller's connection was dropped without an answer).
    body = b'{"name": "\xff\xfe"}'
    event = build_http_event(
        Route("POST", "/f"), "POST", "/f", {"content-type": "application/json"}, body, {}
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body
