"""`./run fuzz`: schemathesis against the OpenAPI of every HTTP function, through the local runner.

Each function's OpenAPI comes from its own FastAPI app, restricted to the routes template.yaml gives
it (the only ones API Gateway reaches; a function URL's routes under `/_url/<function>/`). Generated
requests go through a `requests` adapter that builds the API Gateway (HTTP API, payload v2) event and
calls the function's handler in-process, as the local runner and the integration tests do.

Credentials follow each operation's documented security: an API key holding every scope where the
operation takes keys, the master admin's console session on platform routes, a company admin's
elsewhere; widget operations talk to the seeded agent from an allowed origin in a conversation of
their own. Per function it counts the requests sent, the server errors (5xx) and the responses that
break the documented schema (an undocumented status or content type, a body or a header that does
not match).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import itertools
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from chatapp.identity.api_key_schemas import SCOPES
from devtools.contracts import function_openapis
from devtools.runner import RouteTable, build_http_event, invoke_http
from devtools.template import FunctionSpec, functions

BASE_URL = "http://127.0.0.1:3000"
DEFAULT_SEED = 14
DEFAULT_EXAMPLES = 25
_CRASH = b'{"message": "Internal Server Error"}'  # API Gateway's body when a function raises
# A documentation address (TEST-NET-2), so the sign-in limits per IP that fuzzing exhausts are not
# the ones of 127.0.0.1, which the tests and the local runner use.
SOURCE_IP = "198.51.100.14"


class RunnerTransport(HTTPAdapter):
    """A `requests` adapter that answers from the functions' handlers instead of the network."""

    def __init__(self, routes: RouteTable) -> None:
        super().__init__()
        self._routes = routes

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:  # type: ignore[override]
        split = urlsplit(request.url or "")
        method = (request.method or "GET").upper()
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else bytes(body)
        headers = {"host": split.netloc, **{key.lower(): value for key, value in request.headers.items()}}
        status, response_headers, content = self._invoke(method, split.path, split.query, headers, body)
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(content),
            headers=urllib3.HTTPHeaderDict(response_headers),
            status=status,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)

    def _invoke(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        json_type = {"content-type": "application/json"}
        matched = self._routes.match(method, path)
        if matched is None:  # what the runner answers where no route is
            return 404, json_type, b'{"error": {"code": "not_found", "message": "No route here."}}'
        route, spec, path_parameters = matched
        target = path + (f"?{query}" if query else "")
        event = build_http_event(route, method, target, headers, body, path_parameters, SOURCE_IP)
        try:
            response, _ = invoke_http(spec, event)
        except Exception:
            return 500, json_type, _CRASH
        payload = response.get("body") or ""
        content = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        response_headers = {key.lower(): str(value) for key, value in (response.get("headers") or {}).items()}
        return int(response.get("statusCode", 200)), response_headers, content


def runner_session(specs: list[FunctionSpec]) -> requests.Session:
    session = requests.Session()
    session.mount("http://", RunnerTransport(RouteTable(specs)))
    return session


# ---------------------------------------------------------------- what is fuzzed


@dataclass
class Target:
    """One HTTP function and the OpenAPI of the routes the template gives it."""

    function: str
    openapi: dict[str, Any]


def targets(specs: list[FunctionSpec] | None = None, only: set[str] | None = None) -> list[Target]:
    chosen = [spec for spec in specs if not only or spec.logical_id in only] if specs is not None else None
    return [Target(source.function, source.openapi) for source in function_openapis(chosen)]


# ---------------------------------------------------------------- who calls


@dataclass
class Credentials:
    company_admin: str
    master_admin: str
    api_key: str
    # Operations that end the session they are called with get a fresh one each time.
    new_company_admin_session: Callable[[], str]
    widget_agent_id: str
    widget_origin: str
    widget_session: str
    # Ids of objects that exist, by path parameter name (`agent_id`, `conversation_id`, ...).
    known_ids: dict[str, str] = field(default_factory=dict)


# Operations that would sign the fuzzing session out.
_ENDS_ITS_SESSION = {("POST", "/v1/auth/logout")}


@dataclass
class Caller:
    headers: dict[str, str] = field(default_factory=dict)
    path_parameters: dict[str, str] = field(default_factory=dict)


def caller_for(operation: Any, credentials: Credentials) -> Callable[[], Caller]:
    definition = operation.definition.raw
    schemes = {name for requirement in definition.get("security", []) for name in requirement}
    if "widgetSession" in schemes or operation.path.startswith("/v1/widget/"):
        fixed = Caller(
            {"Origin": credentials.widget_origin, "Authorization": f"Bearer {credentials.widget_session}"},
            {"agent_id": credentials.widget_agent_id},
        )
        return lambda: fixed
    if "apiKey" in schemes:
        token = credentials.api_key
    elif "consoleSession" in schemes:
        if (operation.method.upper(), operation.path) in _ENDS_ITS_SESSION:
            return lambda: Caller({"Authorization": f"Bearer {credentials.new_company_admin_session()}"})
        platform = "platform" in definition.get("tags", [])
        token = credentials.master_admin if platform else credentials.company_admin
    else:
        return Caller
    fixed = Caller({"Authorization": f"Bearer {token}"})
    return lambda: fixed


# ---------------------------------------------------------------- running


@dataclass
class Finding:
    kind: str  # "server error" or the broken part of the schema
    status: int
    detail: str
    reproduce: str


@dataclass
class OperationReport:
    function: str
    operation: str
    requests: int = 0
    server_errors: int = 0
    schema_breaks: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def _checks() -> list[Any]:
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]


def fuzz_operation(
    function: str,
    operation: Any,
    session: requests.Session,
    credentials: Credentials,
    *,
    examples: int,
    seed: int,
) -> OperationReport:
    import hypothesis
    from hypothesis import HealthCheck, Phase, settings
    from schemathesis import GenerationMode
    from schemathesis.core.failures import FailureGroup

    report = OperationReport(function, operation.label)
    call = caller_for(operation, credentials)
    checks = _checks()
    fixed = call().path_parameters
    passes = [fixed]
    names = set(re.findall(r"{(\w+)}", operation.path))
    known = {name: credentials.known_ids[name] for name in names if name in credentials.known_ids}
    # Random ids only ever meet a 404: operations on objects that exist get a pass of their own. Not
    # DELETE, which would take the object from the operations after it.
    with_known = {**known, **fixed}  # the caller's own (the widget's agent) come first
    if with_known != fixed and names <= set(with_known) and operation.method.upper() != "DELETE":
        passes.append(with_known)
    for path_parameters, mode in itertools.product(
        passes, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ):
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

        @hypothesis.seed(seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis.given(case=strategy)
        def run(case: Any) -> None:
            caller = call()
            # The caller's headers replace generated ones of the same name, whatever their case.
            ours = {name.lower() for name in caller.headers}
            generated = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ours}
            case.headers = {**generated, **caller.headers}
            response = case.call(session=session, base_url=BASE_URL)
            report.requests += 1
            report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
            reproduce = case.as_curl_command()
            if response.status_code >= 500:
                report.server_errors += 1
                report.findings.append(
                    Finding("server error", response.status_code, response.text[:300], reproduce)
                )
            try:
                case.validate_response(response, checks=checks)
            except FailureGroup as group:
                report.schema_breaks += 1
                for failure in group.exceptions:
                    detail = f"{failure.title}: {failure.message.strip()[:400]}"
                    report.findings.append(Finding("schema", response.status_code, detail, reproduce))

        # Unsatisfiable: nothing to negate (no parameters, or none that can be made invalid).
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            run()
    return report


def fuzz(
    targets_: list[Target],
    session: requests.Session,
    credentials: Credentials,
    *,
    examples: int = DEFAULT_EXAMPLES,
    seed: int = DEFAULT_SEED,
    progress: Callable[[OperationReport], None] | None = None,
) -> list[OperationReport]:
    import schemathesis

    reports = []
    for target in targets_:
        schema = schemathesis.openapi.from_dict(target.openapi)
        for result in schema.get_all_operations():
            operation = result.ok()
            report = fuzz_operation(
                target.function, operation, session, credentials, examples=examples, seed=seed
            )
            reports.append(report)
            if progress:
                progress(report)
    return reports


@dataclass
class FunctionSummary:
    function: str
    operations: int
    requests: int
    server_errors: int
    schema_breaks: int


def summarise(reports: list[OperationReport]) -> list[FunctionSummary]:
    summaries: dict[str, FunctionSummary] = {}
    for report in reports:
        summary = summaries.setdefault(report.function, FunctionSummary(report.function, 0, 0, 0, 0))
        summary.operations += 1
        summary.requests += report.requests
        summary.server_errors += report.server_errors
        summary.schema_breaks += report.schema_breaks
    return list(summaries.values())


def table(reports: list[OperationReport]) -> str:
    rows = summarise(reports)
    total = FunctionSummary(
        "total",
        sum(r.operations for r in rows),
        sum(r.requests for r in rows),
        sum(r.server_errors for r in rows),
        sum(r.schema_breaks for r in rows),
    )
    lines = [f"{'function':<26} {'operations':>10} {'requests':>9} {'5xx':>5} {'schema breaks':>14}"]
    for row in [*rows, total]:
        if row is total:
            lines.append("-" * len(lines[0]))
        lines.append(
            f"{row.function:<26} {row.operations:>10} {row.requests:>9} {row.server_errors:>5} "
            f"{row.schema_breaks:>14}"
        )
    return "\n".join(lines)


def findings_text(reports: list[OperationReport], per_operation: int = 3) -> str:
    lines = []
    for report in reports:
        if not report.findings:
            continue
        lines.append(
            f"{report.function} {report.operation}: {report.server_errors} server errors, "
            f"{report.schema_breaks} schema breaks"
        )
        seen: set[tuple[str, int, str]] = set()
        for finding in report.findings:
            key = (finding.kind, finding.status, finding.detail.split(":")[0])
            if key in seen or len(seen) >= per_operation:
                continue
            seen.add(key)
            lines.append(f"  [{finding.status}] {finding.kind}: {finding.detail}")
            lines.append(f"      {finding.reproduce}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the stack it runs against


FUZZ_DATABASE = "buzzi_fuzz"


def prepare_stack() -> tuple[list[FunctionSpec], requests.Session, Credentials]:
    """A fresh database (BUZZI_TEST_DATABASE, default buzzi_fuzz, on the test server), migrated and
    seeded; moto with the template's resources; the seeded company's sessions and an API key."""
    import os

    os.environ.setdefault("BUZZI_TEST_DATABASE", FUZZ_DATABASE)
    from sqlalchemy import make_url

    from devtools.local_env import configure

    owner_url = make_url(configure("test"))
    if os.environ.get("BUZZI_TEST_KEEP_DATABASE") != "1":
        from devtools.embedded_db import ensure_database

        ensure_database(owner_url.set(database="postgres"), owner_url.database or "", recreate=True)
    from chatapp.db.migrate import upgrade_to_head

    upgrade_to_head()
    from devtools.aws_local import LocalEventSources, free_port, start_moto
    from devtools.template import load_template

    start_moto(free_port())
    template = load_template()
    specs = functions(template)
    LocalEventSources(template, specs).provision()
    from chatapp.config import get_settings

    get_settings.cache_clear()  # the queue and bucket names exist only now
    from chatapp.identity.authentication import issue_dev_session
    from devtools.seed import DEMO_WIDGET_ORIGINS, seed

    seeded = seed(with_packages=True)
    session = runner_session(specs)
    company_admin = issue_dev_session("admin@demo.buzzi.example")[0]
    master_admin = issue_dev_session("owner@buzzi.example")[0]
    # The plan's requests-a-minute across all keys would otherwise stop the fuzzing of the public API.
    call(
        session,
        "PATCH",
        f"/v1/admin/companies/{seeded.company_id}/subscription",
        master_admin,
        json={"custom_limits": {"apiRateLimit": 100_000}},
    )
    credentials = company_credentials(
        session,
        company_admin=company_admin,
        master_admin=master_admin,
        new_company_admin_session=lambda: issue_dev_session("admin@demo.buzzi.example")[0],
        widget_agent_id=str(seeded.agent_id),
        widget_origin=f"http://{DEMO_WIDGET_ORIGINS[0]}:3000",
    )
    return specs, session, credentials


def call(session: requests.Session, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
    """One request that must succeed (setting up the fuzzing)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers |= kwargs.pop("headers", {})
    response = session.request(method, BASE_URL + path, headers=headers, **kwargs)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json()


def company_credentials(
    session: requests.Session,
    *,
    company_admin: str,
    master_admin: str,
    new_company_admin_session: Callable[[], str],
    widget_agent_id: str,
    widget_origin: str,
) -> Credentials:
    """The rest made through the API itself: a key with every scope, a widget conversation."""
    key = call(
        session,
        "POST",
        "/v1/api-keys",
        company_admin,
        json={"name": "fuzz", "scopes": list(SCOPES), "rate_limit": 10_000},
    )["key"]
    conversation = call(
        session,
        "POST",
        f"/v1/widget/agents/{widget_agent_id}/conversations",
        headers={"Origin": widget_origin},
        json={},
    )
    return Credentials(
        company_admin=company_admin,
        master_admin=master_admin,
        api_key=key,
        new_company_admin_session=new_company_admin_session,
        widget_agent_id=widget_agent_id,
        widget_origin=widget_origin,
        widget_session=conversation["session_token"],
        known_ids=known_objects(session, company_admin, master_admin),
    )


def _items(listing: Any) -> list[dict[str, Any]]:
    """A list operation's items, whether it answers a list or a page of them."""
    items: list[dict[str, Any]] = listing["items"] if isinstance(listing, dict) else listing
    return items


def known_objects(session: requests.Session, admin: str, master_admin: str) -> dict[str, str]:
    """Objects of the company for the fuzzer to work on, made or found through the API. Of their own
    where fuzzing may change them (an agent, a category), so the widget's agent keeps answering.
    Sessions, keys and the company itself are left out: fuzzing them would end the run's own access."""
    made = {
        "agent_id": call(session, "POST", "/v1/agents", admin, json={"name": "Fuzz target"})["id"],
        "category_id": call(session, "POST", "/v1/knowledge/categories", admin, json={"name": "Fuzz target"})[
            "id"
        ],
        "response_id": call(
            session,
            "POST",
            "/v1/inbox/canned-responses",
            admin,
            json={"title": "Fuzz target", "content": "Thanks!"},
        )["id"],
        "webhook_id": call(
            session,
            "POST",
            "/v1/webhooks",
            admin,
            json={"name": "fuzz", "url": "http://127.0.0.1:9/fuzz", "events": ["conversation.created"]},
        )["id"],
        "invitation_id": call(
            session, "POST", "/v1/team/invitations", admin, json={"email": "fuzz-invitee@example.com"}
        )["id"],
    }
    made["file_id"] = call(
        session,
        "POST",
        f"/v1/knowledge/files?category_id={made['category_id']}&filename=fuzz.txt",
        admin,
        data=b"What the fuzzer reads.",
        headers={"Content-Type": "text/plain"},
    )["id"]
    conversations = _items(call(session, "GET", "/v1/inbox/conversations", admin))
    if conversations:
        made["conversation_id"] = conversations[0]["id"]
        customers = [c["customer_id"] for c in conversations if c.get("customer_id")]
        if customers:
            made["customer_id"] = customers[0]
    escalations = _items(call(session, "GET", "/v1/inbox/escalations", admin))
    if escalations:
        made["escalation_id"] = escalations[0]["id"]
    me = call(session, "GET", "/v1/auth/session", admin)
    others = [m["id"] for m in call(session, "GET", "/v1/team/members", admin) if m["id"] != me["user"]["id"]]
    if others:
        made["user_id"] = others[0]
    if master_admin != admin:
        made["plan_id"] = call(
            session,
            "POST",
            "/v1/admin/plans",
            master_admin,
            json={
                "name": "Fuzz target",
                "slug": "fuzz-target",
                "base_price": "1",
                "billing_cycle": "monthly",
                "is_public": False,
            },
        )["id"]
    return {name: str(value) for name, value in made.items()}


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES, help="per operation and mode")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--function", action="append", help="only these functions (logical ids)")
    parser.add_argument("--show", type=int, default=3, help="distinct findings shown per operation")
    options = parser.parse_args(args)
    started = time.monotonic()
    print("» preparing a fresh database, local AWS and the seeded company", file=sys.stderr, flush=True)
    specs, session, credentials = prepare_stack()
    chosen = targets(specs, set(options.function) if options.function else None)

    def progress(report: OperationReport) -> None:
        statuses = " ".join(f"{status}x{count}" for status, count in sorted(report.statuses.items()))
        print(
            f"  {report.function:<26} {report.operation:<62} {report.server_errors:>3} 5xx "
            f"{report.schema_breaks:>3} breaks  {statuses}",
            file=sys.stderr,
            flush=True,
        )

    reports = fuzz(
        chosen, session, credentials, examples=options.examples, seed=options.seed, progress=progress
    )
    findings = findings_text(reports, options.show)
    if findings:
        print(findings)
        print()
    print(table(reports))
    print(
        f"(seed {options.seed}, up to {options.examples} examples per operation in each of the positive and "
        f"negative modes; {time.monotonic() - started:.0f} s)"
    )
    failed = any(report.server_errors or report.schema_breaks for report in reports)
    return 1 if failed else 0
