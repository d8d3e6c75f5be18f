"""Authentication and authorisation dependencies for every console and API endpoint.

Endpoints and dependencies are `async def` although the services they call block: a Lambda
container serves one request at a time, so FastAPI's thread-pool hand-off for sync code
would only add latency (measured: about 2 ms per request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from chatapp.db.tenancy import ContextRole
from chatapp.errors import Unauthenticated
from chatapp.services import authorization, company_status, identity
from chatapp.services.principals import Principal


async def current_principal(
    request: Request,
    authorization_header: Annotated[str | None, Header(alias="Authorization")] = None,
) -> Principal:
    scheme, _, token = (authorization_header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated()
    # Mangum fills `client` from API Gateway's requestContext.http.sourceIp (users' IP allowlists).
    client_ip = request.client.host if request.client else None
    route = request.scope.get("route")
    reading_status_page = (
        request.method == "GET" and getattr(route, "path", None) in company_status.READABLE_WHILE_SUSPENDED
    )
    return identity.authenticate_bearer(
        token.strip(), client_ip=client_ip, reading_status_page=reading_status_page
    )


Authenticated = Annotated[Principal, Depends(current_principal)]


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
