"""The authorisation matrix, generated from the routes themselves.

Every console route of template.yaml is found in its function's FastAPI app; requests are built
from the app's OpenAPI (path, query and body, with ids of company A wherever an id goes). Then:
  * company B's admin using company A's ids gets 404 on every route that takes an object id, in
    the path or in the body: the object does not exist for them;
  * a support agent without granted permissions gets 403 on routes tagged `admin` or `platform`,
    and company admins get 403 on `platform` routes.
A new endpoint is covered by adding it to the template; one the generator cannot build a request
for fails here until it can.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.api.access import ADMIN, PLATFORM
from chatapp.db.enums import UserRole
from chatapp.db.models.agents import AgentPackage
from chatapp.db.models.billing import CompanySubscription, SubscriptionPlan
from chatapp.db.models.channels import ApiKey, ChannelConfig, Webhook
from chatapp.db.models.content_gaps import ContentGapTopic
from chatapp.db.models.conversations import Customer, Escalation
from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.knowledge import KnowledgeCategory, KnowledgeFile
from chatapp.db.models.team import CannedResponse, Invitation
from chatapp.db.models.test_runs import TestRun
from chatapp.identity.api_key_schemas import SCOPES
from devtools.template import functions
from tests.integration.http import ApiClient
from tests.integration.tenant_data import Tenants

# Routes anyone may call (no session): nothing to authorise.
PUBLIC_PREFIXES = (
    "/health",
    "/version",
    "/v1/widget/",
    "/v1/auth/signup",
    "/v1/auth/slug-available",
    "/v1/auth/magic-link",
    "/v1/auth/verify",
    "/v1/auth/oauth/",
    "/v1/team/invitations/accept",
    "/v1/public/",  # API-key routes: covered by tests/integration/api_keys
    "/_url/",  # Lambda function URLs: channel webhooks, verified by the platforms' signatures
)


@dataclass(frozen=True)
class ConsoleRoute:
    function: str
    method: str
    path: str
    operation: dict[str, Any]
    components: dict[str, Any]

    @property
    def tags(self) -> set[str]:
        return set(self.operation.get("tags", []))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _console_routes(skipped: tuple[str, ...] = PUBLIC_PREFIXES) -> list[ConsoleRoute]:
    routes = []
    for spec in functions():
        if not spec.routes or all(r.path.startswith(skipped) for r in spec.routes):
            continue
        spec.load_handler()
        openapi = sys.modules[f"buzzi_functions.{spec.logical_id}"].app.openapi()
        for route in spec.routes:
            if route.path.startswith(skipped):
                continue
            operation = openapi["paths"].get(route.path, {}).get(route.method.lower())
            assert operation is not None, (
                f"{route.method} {route.path} is in template.yaml but not in the app"
            )
            routes.append(ConsoleRoute(spec.logical_id, route.method, route.path, operation, openapi))
    return routes


ROUTES = _console_routes()
# Every route a bearer token can call: the console's and the public API's (API keys).
BEARER_ROUTES = _console_routes(tuple(p for p in PUBLIC_PREFIXES if p != "/v1/public/"))
ID_NAMES = (
    "company_id",
    "agent_id",
    "conversation_id",
    "escalation_id",
    "category_id",
    "file_id",
    "customer_id",
    "response_id",
    "session_id",
    "invitation_id",
    "key_id",
    "channel_id",
    "webhook_id",
    "user_id",
    "subscription_id",
    "run_id",
    "draft_id",
    "topic_id",
    "source_id",
    "sync_id",
)


def _company_a_ids(tenants: Tenants, db: Session) -> dict[str, Any]:
    a = tenants.a
    conversation = a.conversations["unassigned"]
    return {
        "company_id": a.company_id,
        "agent_id": a.agent_id,
        "conversation_id": conversation,
        "escalation_id": db.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation)),
        "category_id": db.scalar(
            select(KnowledgeCategory.id).where(KnowledgeCategory.company_id == a.company_id)
        ),
        "file_id": db.scalar(select(KnowledgeFile.id).where(KnowledgeFile.company_id == a.company_id)),
        "customer_id": db.scalar(select(Customer.id).where(Customer.company_id == a.company_id)),
        "response_id": db.scalar(select(CannedResponse.id).where(CannedResponse.company_id == a.company_id)),
        "session_id": db.scalar(select(ConsoleSession.id).where(ConsoleSession.user_id == a.admin_id)),
        "invitation_id": db.scalar(select(Invitation.id).where(Invitation.company_id == a.company_id)),
        "key_id": db.scalar(select(ApiKey.id).where(ApiKey.company_id == a.company_id)),
        "channel_id": db.scalar(select(ChannelConfig.id).where(ChannelConfig.company_id == a.company_id)),
        "package_id": db.scalar(select(AgentPackage.id).limit(1)),
        "plan_id": db.scalar(select(SubscriptionPlan.id).limit(1)),  # platform-wide, like packages
        "subscription_id": db.scalar(
            select(CompanySubscription.id).where(CompanySubscription.company_id == a.company_id)
        ),
        "webhook_id": db.scalar(select(Webhook.id).where(Webhook.company_id == a.company_id)),
        "user_id": a.support_agent_id,
        "run_id": db.scalar(select(TestRun.id).where(TestRun.company_id == a.company_id)),
        "draft_id": a.draft_id,
        "source_id": a.source_id,
        "sync_id": a.sync_id,
        # The nightly job (a sample event fires it) replaces topics: the current one.
        "topic_id": db.scalar(select(ContentGapTopic.id).where(ContentGapTopic.company_id == a.company_id)),
        "position": 1,
        "provider": "google",
    }


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for union in ("anyOf", "oneOf"):
        if union in schema:
            options = [o for o in schema[union] if o.get("type") != "null"]
            return _resolve(options[0], components)
    return schema


def _example(schema: dict[str, Any], name: str, route: ConsoleRoute, ids: dict[str, Any]) -> Any:
    schema = _resolve(schema, route.components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            key: _example(value, key, route, ids)
            for key, value in schema.get("properties", {}).items()
            if key in schema.get("required", []) or key.endswith("_ids")
        }
    if kind == "array":
        singular = name.removesuffix("s")
        if singular in ids:  # category_ids, agent_ids: company A's, to check ids inside bodies
            return [str(ids[singular])]
        return [_example(schema["items"], singular, route, ids)] if schema.get("minItems") else []
    if kind == "integer":
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return schema.get("minimum", 0.5)
    if kind == "boolean":
        return True
    if schema.get("format") == "email":
        return "matrix@example.com"
    if schema.get("format") == "uuid" or name in ids:
        return str(ids.get(name) or uuid.uuid4())
    samples = {
        "slug": "matrix",
        "shortcut": "/matrix",
        "entry_point": "agent:respond",
        "mime_type": "text/plain",
        "filename": "a.txt",
        "query": "returns",
        "zip_base64": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==",
    }
    return samples.get(name, "x" * max(1, schema.get("minLength", 1)))


def _request(route: ConsoleRoute, ids: dict[str, Any]) -> tuple[str, Any]:
    path = route.path
    query = []
    for parameter in route.operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            assert name in ids, f"{route}: no sample id for path parameter {name!r}"
            path = path.replace("{" + name + "}", str(ids[name]))
        elif parameter["in"] == "query" and (parameter.get("required") or name in ids):
            query.append(f"{name}={_example(parameter['schema'], name, route, ids)}")
    body = None
    content = route.operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = _example(content["application/json"]["schema"], "body", route, ids)
    return path + ("?" + "&".join(query) if query else ""), body


def _references_company_a(path: str, body: Any, ids: dict[str, Any]) -> bool:
    return any(str(ids[name]) in path or str(ids[name]) in str(body) for name in ID_NAMES)


def _takes_object_ids(route: ConsoleRoute) -> bool:
    """Whether a request to the route carries a company-owned id (decided with placeholder ids)."""
    placeholders: dict[str, Any] = {name: uuid.uuid4() for name in ID_NAMES}
    placeholders |= {"package_id": uuid.uuid4(), "plan_id": uuid.uuid4(), "provider": "google", "position": 1}
    path, body = _request(route, placeholders)
    return _references_company_a(path, body, placeholders)


@pytest.fixture(scope="module")
def ids(tenants: Tenants, owner_engine: Any) -> dict[str, Any]:
    with Session(owner_engine) as db:
        found = _company_a_ids(tenants, db)
    missing = [k for k, v in found.items() if v is None]
    assert not missing, f"company A fixture lacks {missing}"
    return found


@pytest.mark.parametrize("route", [r for r in ROUTES if PLATFORM in r.tags or _takes_object_ids(r)], ids=str)
def test_company_b_cannot_reach_company_a_objects(
    route: ConsoleRoute, api: ApiClient, tenants: Tenants, ids: dict[str, Any]
) -> None:
    path, body = _request(route, ids)
    expected = {403} if PLATFORM in route.tags else {404}
    response = api.request(route.method, path, token=tenants.b.tokens["admin"], json_body=body)
    assert response.status in expected, (str(route), path, body, response.status, response.body)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.tags & {ADMIN, PLATFORM}], ids=str)
def test_support_agents_cannot_call_admin_routes(
    route: ConsoleRoute, api: ApiClient, tenants: Tenants, ids: dict[str, Any]
) -> None:
    path, body = _request(route, ids)
    response = api.request(route.method, path, token=tenants.a.tokens["support"], json_body=body)
    assert response.status == 403, (str(route), path, body, response.status, response.body)
    if PLATFORM in route.tags:
        admin = api.request(route.method, path, token=tenants.a.tokens["admin"], json_body=body)
        assert admin.status == 403, (str(route), admin.status, admin.body)


def test_every_console_route_is_in_the_matrix() -> None:
    assert len(ROUTES) >= 40
    assert sum(1 for r in ROUTES if _takes_object_ids(r)) >= 30
    assert {r.function for r in ROUTES} >= {
        "AgentsFunction",
        "KnowledgeFunction",
        "InboxFunction",
        "CompaniesFunction",
        "AdminCompaniesFunction",
    }
    # The master admin's company routes (company_id in the path) are platform-only: company admins get 403.
    admin_companies = [r for r in ROUTES if r.function == "AdminCompaniesFunction"]
    assert len(admin_companies) == 7 and all(PLATFORM in r.tags for r in admin_companies)


# ---------------------------------------------------------------- payloads: who may grant what
# Every team route whose body carries a role or permissions gets one case per role and per
# (area, action) the schema allows, in both shapes (the whole area, or one agent). A support agent
# trusted with team:write may grant only what they hold, change no role, and touch no admin.

MANAGER_RIGHTS = {"team": ["read", "write"], "knowledge": ["read"]}


@dataclass(frozen=True)
class PayloadCase:
    route: ConsoleRoute
    body: dict[str, Any]
    target: str  # whose member record a PATCH changes: "colleague" or "admin"

    def __str__(self) -> str:
        return f"{self.route} {self.target} {self.body}"


def _body_properties(route: ConsoleRoute) -> dict[str, Any]:
    content = route.operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return {}
    return _resolve(content["application/json"]["schema"], route.components).get("properties", {})


def _payload_cases() -> list[PayloadCase]:
    cases = []
    for route in ROUTES:
        properties = _body_properties(route)
        if not {"role", "permissions"} & properties.keys():
            continue
        assert route.function == "TeamFunction", f"{route}: a role or permissions field outside the team"
        bodies: list[dict[str, Any]] = []
        if "role" in properties:
            bodies += [{"role": role} for role in _resolve(properties["role"], route.components)["enum"]]
        if "permissions" in properties:
            permissions = _resolve(properties["permissions"], route.components)
            areas = permissions["propertyNames"]["enum"]
            shapes = permissions["additionalProperties"]["anyOf"]
            whole, per_agent = (_resolve(shape, route.components) for shape in shapes)
            actions = whole["items"]["enum"]
            assert per_agent["type"] == "object"
            for area in areas:
                for action in actions:
                    bodies.append({"permissions": {area: [action]}})
                    bodies.append({"permissions": {area: {"AGENT": [action]}}})
        targets = ("colleague", "admin") if "{user_id}" in route.path else ("colleague",)
        cases += [PayloadCase(route, body, target) for body in bodies for target in targets]
    return cases


PAYLOAD_CASES = _payload_cases()


def _allowed_for_manager(case: PayloadCase) -> bool:
    if case.target == "admin":
        return False
    if "role" in case.body:
        return case.route.method == "POST" and case.body["role"] == "support_agent"  # invite, not promote
    ((area, granted),) = case.body["permissions"].items()
    actions = next(iter(granted.values())) if isinstance(granted, dict) else granted
    return all(action in MANAGER_RIGHTS.get(area, []) for action in actions)


@pytest.fixture(scope="module")
def team_company(owner_engine: Any, mail_sender: str) -> dict[str, Any]:
    """A company of its own (the cases change members): an admin, a support agent with team:write
    (the manager) and a plain support agent (the colleague)."""
    from chatapp.db.models.core import User
    from tests.integration.tenant_data import _session_token, create_company, create_platform_rows

    with Session(owner_engine) as db, db.begin():
        data = create_company(db, "Payload", create_platform_rows(db))
        manager = db.get(User, data.support_agent_id)
        assert manager is not None
        manager.permissions = MANAGER_RIGHTS
        return {
            "data": data,
            "admin": _session_token(db, data.admin_id),
            "manager": _session_token(db, data.support_agent_id),
        }


@pytest.mark.parametrize("case", PAYLOAD_CASES, ids=str)
@pytest.mark.parametrize("caller", ["manager", "admin"])
def test_team_payloads_grant_only_what_the_caller_may(
    case: PayloadCase, caller: str, api: ApiClient, team_company: dict[str, Any], owner_engine: Any
) -> None:
    from chatapp.db.models.core import User

    data = team_company["data"]
    target_id = data.admin_id if case.target == "admin" else data.other_support_agent_id
    with Session(owner_engine) as db, db.begin():  # each case starts from a colleague with no rights
        colleague = db.get(User, data.other_support_agent_id)
        assert colleague is not None
        colleague.permissions, colleague.role = {}, UserRole.SUPPORT_AGENT
    body = json.loads(json.dumps(case.body).replace("AGENT", str(data.agent_id)))
    if case.route.method == "POST":
        body["email"] = f"payload-{uuid.uuid4().hex[:8]}@payload.example"
    path = case.route.path.replace("{user_id}", str(target_id))
    if caller == "admin" and case.target == "admin":
        return  # an admin changing another admin is ordinary; the fixture has one admin (themselves)
    response = api.request(case.route.method, path, token=team_company[caller], json_body=body)
    allowed = caller == "admin" or _allowed_for_manager(case)
    assert (response.status < 300) is allowed, (caller, str(case), response.status, response.body)
    if not allowed:
        assert response.status == 403, response.body


def test_the_payload_matrix_covers_both_team_routes_and_every_area() -> None:
    routes = {str(case.route) for case in PAYLOAD_CASES}
    assert routes == {"PATCH /v1/team/members/{user_id}", "POST /v1/team/invitations"}
    areas = {area for case in PAYLOAD_CASES for area in case.body.get("permissions", {})}
    assert areas == {"agents", "knowledge", "analytics", "team", "channels", "webhooks", "billing"}


# ---------------------------------------------------------------- API keys: scopes x routes
# An API key reaches only the routes that declare the scope it needs (`chatapp.api.auth`), and
# only while it holds that scope; on every other console route it is refused at the door.

SCOPE_SETS = [[scope] for scope in SCOPES] + [list(SCOPES)]


def _declared_scope(route: ConsoleRoute) -> str | None:
    """The API-key scope a route's dependencies declare, read from the app itself."""
    app = sys.modules[f"buzzi_functions.{route.function}"].app
    (found,) = [r for r in app.routes if getattr(r, "path", None) == route.path and route.method in r.methods]
    pending, scopes = [found.dependant], set()
    while pending:
        dependant = pending.pop()
        scope = getattr(dependant.call, "api_key_scope", None)
        if scope:
            scopes.add(scope)
        pending.extend(dependant.dependencies)
    assert len(scopes) <= 1, f"{route}: several API-key scopes {scopes}"
    return next(iter(scopes), None)


@pytest.fixture(scope="module")
def scoped_keys(tenants: Tenants, owner_engine: Any) -> dict[str, str]:
    """Company A's API keys, one per scope and one with all of them."""
    from chatapp.db.models.channels import ApiKey
    from chatapp.security import TokenKind, display_prefix, new_token, token_digest

    keys = {}
    with Session(owner_engine) as db, db.begin():
        for scopes in SCOPE_SETS:
            token = new_token(TokenKind.API_KEY)
            db.add(
                ApiKey(
                    company_id=tenants.a.company_id,
                    name=f"matrix {' '.join(scopes)}",
                    key_prefix=display_prefix(token),
                    key_hash=token_digest(token),
                    permissions=scopes,
                    rate_limit=10_000,
                    created_by=tenants.a.admin_id,
                )
            )
            keys[",".join(scopes)] = token
    return keys


@pytest.mark.parametrize("scopes", [",".join(s) for s in SCOPE_SETS])
@pytest.mark.parametrize("route", BEARER_ROUTES, ids=str)
def test_api_keys_reach_only_routes_that_declare_their_scope(
    route: ConsoleRoute, scopes: str, api: ApiClient, scoped_keys: dict[str, str]
) -> None:
    declared = _declared_scope(route)
    # Placeholder ids: an admitted key meets 404 (nothing of company A is read or changed), a
    # refused one 403 before any lookup.
    placeholders: dict[str, Any] = {name: uuid.uuid4() for name in ID_NAMES}
    placeholders |= {"package_id": uuid.uuid4(), "plan_id": uuid.uuid4(), "provider": "google", "position": 1}
    path, body = _request(route, placeholders)
    response = api.request(route.method, path, token=scoped_keys[scopes], json_body=body)
    if declared is not None and declared in scopes.split(","):
        assert response.status not in (401, 403), (str(route), scopes, response.status, response.body)
    else:
        assert response.status == 403, (str(route), scopes, declared, response.status, response.body)


def test_api_keys_reach_the_public_api_and_the_company_read_only() -> None:
    declared = {str(route): _declared_scope(route) for route in BEARER_ROUTES}
    open_to_keys = {route: scope for route, scope in declared.items() if scope}
    assert open_to_keys == {
        "GET /v1/companies/me": "read:company",
        "GET /v1/companies/{company_id}": "read:company",
        "GET /v1/public/conversations": "read:conversations",
        "GET /v1/public/conversations/{conversation_id}": "read:conversations",
        "POST /v1/public/conversations/{conversation_id}/messages": "write:messages",
        "GET /v1/public/analytics/summary": "read:analytics",
    }
    assert set(SCOPES) == set(open_to_keys.values())
