"""Sign-in API for the console: sign-up, magic links, Google sign-in and the user's own sessions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.identity import magic_links, oauth, sign_in, signup
from chatapp.identity.schemas import (
    AcceptedOut,
    MagicLinkIn,
    OAuthCallbackIn,
    OAuthStartOut,
    SessionIssuedOut,
    SessionOut,
    SignupIn,
    SignupOut,
    SlugAvailabilityOut,
    VerifyIn,
    WhoAmIOut,
)
from chatapp.identity.sign_in import Caller

app = create_app("auth")


def _caller(request: Request) -> Caller:
    # Mangum fills `client` from API Gateway's requestContext.http.sourceIp.
    return Caller(
        ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent")
    )


def _token(request: Request) -> str:
    """The bearer token `Authenticated` has already checked: it names the current session."""
    return request.headers.get("authorization", "").partition(" ")[2].strip()


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


@app.post("/v1/auth/signup", status_code=201, response_model=SignupOut)
async def sign_up(body: SignupIn, request: Request) -> SignupOut:
    return signup.sign_up(body, _caller(request))


@app.get("/v1/auth/slug-available", response_model=SlugAvailabilityOut)
async def slug_available(
    request: Request, slug: Annotated[str, Query(max_length=100)]
) -> SlugAvailabilityOut:
    return signup.slug_availability(slug, _caller(request))


@app.post("/v1/auth/magic-link", status_code=202, response_model=AcceptedOut)
async def request_magic_link(body: MagicLinkIn, request: Request) -> AcceptedOut:
    return AcceptedOut(message=magic_links.request_link(body.email, _caller(request)))


@app.post("/v1/auth/verify", response_model=SessionIssuedOut)
async def verify_magic_link(body: VerifyIn, request: Request, response: Response) -> SessionIssuedOut:
    _no_store(response)
    return magic_links.verify(body.token, _caller(request))


@app.get("/v1/auth/oauth/{provider}/start", response_model=OAuthStartOut)
async def start_oauth(
    provider: str, request: Request, response: Response, redirect_uri: Annotated[str, Query(max_length=2000)]
) -> OAuthStartOut:
    _no_store(response)
    return oauth.start(provider, redirect_uri, _caller(request))


@app.post("/v1/auth/oauth/{provider}/callback", response_model=SessionIssuedOut)
async def oauth_callback(
    provider: str, body: OAuthCallbackIn, request: Request, response: Response
) -> SessionIssuedOut:
    _no_store(response)
    return oauth.callback(provider, body.code, body.state, _caller(request))


@app.get("/v1/auth/session", response_model=WhoAmIOut)
async def who_am_i(principal: Authenticated, request: Request) -> WhoAmIOut:
    return sign_in.who_am_i(principal, _token(request))


@app.post("/v1/auth/logout", status_code=204)
async def sign_out(principal: Authenticated, request: Request) -> Response:
    sign_in.sign_out(principal, _token(request), _caller(request))
    return Response(status_code=204)


@app.get("/v1/auth/sessions", response_model=list[SessionOut])
async def list_sessions(principal: Authenticated, request: Request) -> list[SessionOut]:
    return sign_in.list_sessions(principal, _token(request))


@app.delete("/v1/auth/sessions/{session_id}", status_code=204)
async def revoke_session(session_id: uuid.UUID, principal: Authenticated, request: Request) -> Response:
    sign_in.revoke_session(principal, session_id, _caller(request))
    return Response(status_code=204)


handler = lambda_handler(app)
