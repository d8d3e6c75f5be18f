"""Authentication and authorisation dependencies for every console and API endpoint.

Endpoints and dependencies are `async def` although the services they call block: a Lambda
container serves one request at a time, so FastAPI's thread-pool hand-off for sync code
would only add latency (measured: about 2 ms per request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chatapp.access import authorization
from chatapp.access.principals import Principal, PrincipalKind
from chatapp.companies import status
from chatapp.db.tenancy import ContextRole
from chatapp.errors import Forbidden, Unauthenticated
from chatapp.identity import authentication
from chatapp.observability import correlate

# The two kinds of bearer credentials, as each app's OpenAPI documents them. Both travel in the one
# `Authorization` header, so `current_principal` tells them apart by the token itself; the doors below
# name the schemes they accept only so that each operation documents them (`security`), with the
# API-key scope it needs. auto_error=False: a missing or foreign token is `current_principal`'s 401.
CONSOLE_SESSION = HTTPBearer(
    scheme_name="consoleSession",
    description="A console session token (`Authorization: Bearer <token>`), from `POST /v1/auth/verify` "
    "or Google sign-in.",
    auto_error=False,
)
API_KEY = HTTPBearer(
    scheme_name="apiKey",
    bearerFormat="bzk_...",
    description="A company API key (`Authorization: Bearer bzk_...`), created by a company admin in the "
    "console. Each operation lists the scope the key must hold.",
    auto_error=False,
)
_Credentials = HTTPAuthorizationCredentials | None


async def current_principal(request: Request) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    # Mangum fills `client` from API Gateway's requestContext.http.sourceIp (users' IP allowlists).
    client_ip = request.client.host if request.client else None
    route = request.scope.get("route")
    reading_status_page = (
        request.method == "GET" and getattr(route, "path", None) in status.READABLE_WHILE_SUSPENDED
    )
    principal = authentication.authenticate_bearer(
        token.strip(), client_ip=client_ip, reading_status_page=reading_status_page
    )
    correlate(company_id=principal.company_id, user_id=principal.user_id)
    return principal


async def console_user(
    principal: Annotated[Principal, Depends(current_principal)],
    _documented: Annotated[_Credentials, Security(CONSOLE_SESSION)],
) -> Principal:
    """The console door: signed-in people only. An API key is refused before any service runs,
    whatever the route's own checks would say."""
    if principal.kind is PrincipalKind.API_KEY:
        raise Forbidden(
            "API keys cannot call this endpoint; they reach the public API (/v1/public/...) and "
            "GET /v1/companies/me.",
            code="api_key_not_allowed",
        )
    return principal


Authenticated = Annotated[Principal, Depends(console_user)]


def _open_to_api_keys(scope: str, *, people_too: bool) -> Callable[[Principal], Awaitable[Principal]]:
    """A door an API key passes while it holds `scope`. The scope is also kept on the dependency
    (`api_key_scope`) so the generated authorisation matrix reads it from the app."""

    # Defaults rather than Annotated: string annotations cannot see this closure's variables.
    key = Security(API_KEY, scopes=[scope])
    session = Security(CONSOLE_SESSION if people_too else API_KEY)

    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
        _key: _Credentials = key,
        _session: _Credentials = session,
    ) -> Principal:
        if principal.kind is PrincipalKind.API_KEY:
            authorization.require_scope(principal, scope)
        elif not people_too:
            raise Forbidden(
                "This API is called with a company API key; console sessions use the console API.",
                code="api_key_required",
            )
        return principal

    dependency.api_key_scope = scope  # type: ignore[attr-defined]
    return dependency


# Every route an API key can reach, by the scope it needs: nowhere else.
CompanyReader = Annotated[Principal, Depends(_open_to_api_keys("read:company", people_too=True))]
ConversationsReader = Annotated[Principal, Depends(_open_to_api_keys("read:conversations", people_too=False))]
MessagesWriter = Annotated[Principal, Depends(_open_to_api_keys("write:messages", people_too=False))]
AnalyticsReader = Annotated[Principal, Depends(_open_to_api_keys("read:analytics", people_too=False))]


def require(
    *roles: ContextRole, permission: tuple[str, str] | None = None
) -> Callable[[Principal], Principal]:
    """A dependency that authenticates, then checks role and (optionally) a permission."""

    async def dependency(principal: Authenticated) -> Principal:
        if roles:
            authorization.require_role(principal, roles)
        if permission:
            authorization.require_permission(principal, *permission)
        return principal

    return dependency
