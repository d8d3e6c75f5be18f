"""Every app's OpenAPI documents the errors Buzzi actually sends, once for all routes.

FastAPI documents a 422 body of its own (`{"detail": [...]}`) that Buzzi never sends, and no other
error. `document_errors` replaces that 422 with Buzzi's validation error and adds, to every operation,
the responses the shared layers produce whatever the route: 401 and 403 where credentials are
needed, 429 with `Retry-After` where an API key's rate limit applies, and `default` for the errors a
service may raise (400, 402, 404, 409, 429, 500...), all in the one shape of `chatapp.api.error_models`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chatapp.api.error_models import ErrorResponse, ValidationErrorResponse

_REF = "#/components/schemas/{model}"
# FastAPI's own validation models, which no Buzzi response uses.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
# Schemes whose credentials a person or a company's server presents (401 unknown, 403 not allowed).
_CREDENTIAL_SCHEMES = {"consoleSession", "apiKey"}

_DEFAULT_DESCRIPTION = (
    "Any other error, in the same shape; `error.code` says which. 400 the request cannot be done as "
    "asked, 402 a plan limit (with `limit`, `allowed`, `used` and `upgrade`), 404 not found (also what "
    "belongs to another company), 409 a conflict with the current state, 429 too many requests (with "
    "`Retry-After`, in seconds), 500 a fault on Buzzi's side."
)
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _json(model: type[BaseModel], description: str, **extra: Any) -> dict[str, Any]:
    schema_ref = {"$ref": _REF.format(model=model.__name__)}
    return {"description": description, "content": {"application/json": {"schema": schema_ref}}, **extra}


def _error_responses(operation: dict[str, Any]) -> dict[str, Any]:
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    responses: dict[str, Any] = {}
    if "422" in operation.get("responses", {}):
        responses["422"] = _json(
            ValidationErrorResponse, "Invalid input: `error.fields` names each field and what is wrong."
        )
    if schemes & _CREDENTIAL_SCHEMES:
        responses["401"] = _json(
            ErrorResponse,
            "The credentials are missing, unknown, revoked or expired.",
            headers={"WWW-Authenticate": {"required": True, "schema": {"type": "string", "const": "Bearer"}}},
        )
        responses["403"] = _json(
            ErrorResponse,
            "The credentials are valid but may not do this: a role or permission the caller lacks, an "
            "API key without the operation's scope, or an API key on a console operation.",
        )
    if "apiKey" in schemes:
        responses["429"] = _json(
            ErrorResponse,
            "The API key's requests-per-minute limit, or the plan's across all of the company's keys.",
            headers=_RETRY_AFTER,
        )
    responses["default"] = _json(ErrorResponse, _DEFAULT_DESCRIPTION)
    return responses


def _add_error_documentation(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        components.pop(name, None)
    _, definitions = models_json_schema(
        [(ErrorResponse, "serialization"), (ValidationErrorResponse, "serialization")], ref_template=_REF
    )
    components.update(definitions["$defs"])
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation["responses"] = {**operation.get("responses", {}), **_error_responses(operation)}


def document_errors(app: FastAPI) -> None:
    """Wrap `app.openapi` so the schema it generates (once, then cached) documents Buzzi's errors."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_error_documentation(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
