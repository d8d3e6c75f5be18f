"""The API contracts people integrate against, merged from the functions' own OpenAPI.

Each function's FastAPI app documents its routes; template.yaml says which of them API Gateway serves
and on which API. Merged here into one document per audience:

    public   what a company's server calls with an API key (`bzk_...`): every operation with a scope
    console  the console's API (sessions of signed-in people), sign-in included
    widget   the chat widget's API (WidgetHttpApi), called from companies' sites

`./run dev` serves them at /openapi/<name>.json and renders them at /docs/api (devtools/web_static.py);
`./run openapi NAME` prints one.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from devtools.template import FUNCTION_URL_PREFIX, FunctionSpec, functions

CONTRACTS = ("public", "console", "widget")
_REF_PREFIX = "#/components/schemas/"
_TITLES = {
    "public": "Buzzi public API",
    "console": "Buzzi console API",
    "widget": "Buzzi widget API",
}
_DESCRIPTIONS = {
    "public": (
        "Called from a company's own servers with an API key: `Authorization: Bearer bzk_...`. A key "
        "reaches only the operations listed here, each while it holds the scope the operation names "
        "(`read:conversations`, `write:messages`, `read:analytics`, `read:company`), and only its own "
        "company's data. Every request counts against the key's requests-per-minute limit and the plan's "
        "across all the company's keys: over either, 429 with `Retry-After` (seconds). Errors are "
        '`{"error": {"code", "message", "fields"?}}`. Guide with examples: docs/api.md.'
    ),
    "console": (
        "The console's API, called with a console session (`Authorization: Bearer <session token>` from "
        'sign-in). Errors are `{"error": {"code", "message", "fields"?}}`; API keys are refused here '
        "(403 `api_key_not_allowed`) except on the operations of the public API."
    ),
    "widget": (
        "The chat widget's API, called from the pages of a company's sites (CORS and `Origin` checked "
        "against the agent's allowed domains). Starting a conversation returns its `bzw_...` token."
    ),
}


@dataclass
class FunctionOpenApi:
    """One function's OpenAPI, restricted to the routes template.yaml gives it."""

    function: str
    openapi: dict[str, Any]
    api_ids: dict[tuple[str, str], str]  # (method, path) -> the HttpApi resource serving it


def _api_ids(spec: FunctionSpec) -> dict[tuple[str, str], str]:
    found = {}
    for event in spec.properties.get("Events", {}).values():
        if event.get("Type") == "HttpApi":
            properties = event.get("Properties", {})
            api = properties.get("ApiId", {}).get("Ref", "ServerlessHttpApi")
            found[(properties.get("Method", "ANY").lower(), properties["Path"])] = api
    return found


def function_openapis(specs: list[FunctionSpec] | None = None) -> list[FunctionOpenApi]:
    found = []
    for spec in specs if specs is not None else functions():
        if not spec.routes:
            continue
        spec.load_handler()
        app = sys.modules[f"buzzi_functions.{spec.logical_id}"].app
        openapi: dict[str, Any] = copy.deepcopy(app.openapi())
        paths: dict[str, Any] = {}
        for route in spec.routes:
            if route.path.startswith(FUNCTION_URL_PREFIX):
                # A function URL hands any path to the app, which serves it at `/{path}`.
                prefix = route.path.removesuffix("{proxy+}")
                for app_path, operations in openapi["paths"].items():
                    paths[prefix + app_path.lstrip("/")] = operations
                continue
            if route.method == "OPTIONS":
                continue  # CORS preflight, answered by middleware: no operation of the API
            operation = openapi["paths"].get(route.path, {}).get(route.method.lower())
            if operation is None:
                raise LookupError(f"{route.route_key} is in template.yaml but not in {spec.logical_id}'s app")
            paths.setdefault(route.path, {})[route.method.lower()] = operation
        found.append(FunctionOpenApi(spec.logical_id, {**openapi, "paths": paths}, _api_ids(spec)))
    return found


def _schemes(operation: dict[str, Any]) -> set[str]:
    return {name for requirement in operation.get("security", []) for name in requirement}


def _audience_security(contract: str, operation: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The operation's security as this audience sees it, or None when it is not theirs."""
    schemes = _schemes(operation)
    if contract == "public":
        keep = {"apiKey"}
    elif contract == "console":
        if schemes and not schemes & {"consoleSession"}:
            return None
        keep = {"consoleSession"}
    else:
        keep = {"widgetSession"}
    if contract == "public" and "apiKey" not in schemes:
        return None
    return [req for req in operation.get("security", []) if set(req) <= keep]


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                _REF_PREFIX + renames.get(value.removeprefix(_REF_PREFIX), value.removeprefix(_REF_PREFIX))
                if key == "$ref" and isinstance(value, str) and value.startswith(_REF_PREFIX)
                else _rename_refs(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def _used_schemas(document: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    used: set[str] = set()
    pending = re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document["paths"]))
    while pending:
        name = pending.pop()
        if name not in used:
            used.add(name)
            pending += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[name]))
    return used


def merged_openapi(contract: str, sources: list[FunctionOpenApi] | None = None) -> dict[str, Any]:
    if contract not in CONTRACTS:
        raise ValueError(f"unknown contract {contract!r}; choose one of {', '.join(CONTRACTS)}")
    sources = sources if sources is not None else function_openapis()
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    security_schemes: dict[str, Any] = {}
    version = "0"
    for source in sources:
        document = source.openapi
        version = document.get("info", {}).get("version", version)
        components = document.get("components", {})
        # Apps define models of the same name; identical ones are shared, different ones renamed.
        renames = {}
        for name, schema in components.get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:
                renames[name] = f"{source.function.removesuffix('Function')}{name}"
        for name, schema in components.get("schemas", {}).items():
            schemas[renames.get(name, name)] = _rename_refs(schema, renames)
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                api = source.api_ids.get((method, path))
                wanted = api == "WidgetHttpApi" if contract == "widget" else api == "HttpApi"
                security = _audience_security(contract, operation) if wanted else None
                if security is None:
                    continue
                operation = _rename_refs(copy.deepcopy(operation), renames)
                if security:
                    operation["security"] = security
                else:
                    operation.pop("security", None)
                paths.setdefault(path, {})[method] = operation
        security_schemes |= components.get("securitySchemes", {})
    document = {
        "openapi": "3.1.0",
        "info": {"title": _TITLES[contract], "version": version, "description": _DESCRIPTIONS[contract]},
        "paths": dict(sorted(paths.items())),
    }
    used = _used_schemas(document, schemas)
    used_schemes = {name for ops in paths.values() for op in ops.values() for name in _schemes(op)}
    document["components"] = {
        "schemas": {name: schemas[name] for name in sorted(used)},
        "securitySchemes": {name: s for name, s in security_schemes.items() if name in used_schemes},
    }
    return document


def main(args: list[str]) -> int:
    if len(args) != 1 or args[0] not in CONTRACTS:
        print(f"usage: ./run openapi {{{'|'.join(CONTRACTS)}}}")
        return 2
    print(json.dumps(merged_openapi(args[0]), indent=2))
    return 0
