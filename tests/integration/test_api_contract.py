"""What every HTTP function promises whatever the route: text PostgreSQL can store, and errors in the
one documented shape. (`tests/integration/test_fuzz.py` checks the rest of each app's OpenAPI.)"""

from __future__ import annotations

import json
import sys
from typing import Any

import jsonschema
import pytest

from devtools.template import functions
from tests.integration.http import ApiClient
from tests.integration.tenant_data import Tenants


def _invalid(response: Any, *fields: str) -> None:
    assert response.status == 422, (response.status, response.body)
    assert response.body["error"]["code"] == "invalid_input"
    assert [f["field"] for f in response.body["error"]["fields"]] == list(fields)
    assert all("NUL" in f["message"] for f in response.body["error"]["fields"])


def test_text_with_a_nul_character_is_invalid_input_wherever_it_is(api: ApiClient, tenants: Tenants) -> None:
    """Found by `./run fuzz`: `{"name": "a\\u0000b"}` reached PostgreSQL, which cannot store U+0000 (500)."""
    token = tenants.a.tokens["admin"]
    _invalid(
        api.request("POST", "/v1/knowledge/categories", token=token, json_body={"name": "a\u0000b"}),
        "body.name",
    )
    _invalid(
        api.request(
            "PUT",
            f"/v1/agents/{tenants.a.agent_id}/widget",
            token=token,
            json_body={"title": "ok", "allowed_domains": ["example.com", "bad\u0000.example"]},
        ),
        "body.allowed_domains.1",
    )
    _invalid(api.get("/v1/companies/me/audit-logs?action=agent%00create", token=token), "query.action")
    _invalid(
        api.get("/v1/public/conversations?cursor=%00", token=tenants.a.tokens["api_key"]), "query.cursor"
    )
    # Escaped, it is only text: a backslash and "u0000".
    escaped = api.request(
        "POST", "/v1/knowledge/categories", token=token, json_body={"name": "literally \\u0000"}
    )
    assert escaped.status == 201, escaped.body


def _apps() -> list[tuple[str, dict[str, Any]]]:
    apps = []
    for spec in functions():
        if spec.routes:
            spec.load_handler()
            apps.append((spec.logical_id, sys.modules[f"buzzi_functions.{spec.logical_id}"].app.openapi()))
    return apps


def test_every_operation_documents_buzzi_s_errors() -> None:
    operations = 0
    for function, openapi in _apps():
        schemas = openapi["components"]["schemas"]
        assert "HTTPValidationError" not in schemas, function
        for path, methods in openapi["paths"].items():
            for method, operation in methods.items():
                operations += 1
                where = f"{function} {method.upper()} {path}"
                responses = operation["responses"]
                assert responses["default"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"
                }, where
                if operation.get("parameters") or operation.get("requestBody"):
                    assert responses["422"]["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ValidationErrorResponse"
                    }, where
                schemes = {name for requirement in operation.get("security", []) for name in requirement}
                if schemes & {"apiKey", "consoleSession"}:
                    assert {"401", "403"} <= responses.keys(), where
                if "apiKey" in schemes:
                    assert "Retry-After" in responses["429"]["headers"], where
    assert operations >= 130


@pytest.fixture(scope="module")
def error_schemas() -> dict[str, Any]:
    (_, openapi), *_ = [app for app in _apps() if app[0] == "KnowledgeFunction"]
    return openapi["components"]["schemas"]


def _matches(body: Any, name: str, schemas: dict[str, Any]) -> None:
    definitions = json.loads(json.dumps(schemas).replace("#/components/schemas/", "#/$defs/"))
    jsonschema.validate(body, {"$ref": f"#/$defs/{name}", "$defs": definitions})


def test_the_errors_sent_match_the_documented_schemas(
    api: ApiClient, tenants: Tenants, error_schemas: dict[str, Any]
) -> None:
    token = tenants.a.tokens["admin"]
    invalid = api.request("POST", "/v1/knowledge/categories", token=token, json_body={"name": ""})
    assert invalid.status == 422
    _matches(invalid.body, "ValidationErrorResponse", error_schemas)
    missing = api.get("/v1/knowledge/files/00000000-0000-0000-0000-000000000000", token=token)
    assert missing.status == 404
    _matches(missing.body, "ErrorResponse", error_schemas)
    with pytest.raises(jsonschema.ValidationError):  # a 404's body is no validation error
        _matches(missing.body, "ValidationErrorResponse", error_schemas)
    unauthenticated = api.get("/v1/knowledge/files")
    assert unauthenticated.status == 401
    _matches(unauthenticated.body, "ErrorResponse", error_schemas)
