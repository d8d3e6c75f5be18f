"""Sign-in with Google: OpenID Connect's authorization code flow with PKCE (S256) and a nonce.

`start` makes the state, the PKCE verifier and the nonce and keeps them server-side for ten minutes
in `chatapp_verification_tokens`: identifier `oauth:<provider>:<SHA-256 of the state>` (the state is
what the browser holds, so only its digest is stored), token a compact JSON of the verifier, the
nonce and the redirect URI (none of them lets anyone sign in without the provider's code).
`callback` deletes that row in its own transaction before anything else, so a state works once
even when the rest fails; it then exchanges the code (with the verifier) at the token endpoint and
checks the ID token: signature against the provider's JWKS, issuer, audience, expiry and nonce.

The user is the one linked to the provider account in `chatapp_accounts`; else the user with the
token's e-mail address when the provider says the address is verified (the account is linked
then); else nobody: new companies sign up through the sign-up form (403 `no_account`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.core import Account, User, VerificationToken
from chatapp.db.tenancy import system_session
from chatapp.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from chatapp.identity.schemas import OAuthStartOut, SessionIssuedOut
from chatapp.identity.sign_in import (
    Caller,
    audited_attempt,
    enforce_sign_in_limits,
    find_user,
    require_may_sign_in,
    start_session,
)
from chatapp.integrations.secrets import secret_json
from chatapp.observability import logger
from chatapp.security import same_text, token_digest

SCOPES = "openid email profile"
REDIRECT_URI_MAX_LENGTH = 160  # the saved state (verifier, nonce, URI) fits the token column's 255
_HTTP_TIMEOUT_SECONDS = 10
_CLOCK_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Provider:
    name: str
    client_id: str
    client_secret: str | None
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str

    @property
    def issuers(self) -> list[str]:
        # Google signs with either form of its issuer.
        return [self.issuer, self.issuer.removeprefix("https://")]


def provider(name: str) -> Provider:
    settings = get_settings()
    if name != "google" or not settings.google_client_id:
        raise NotFound(f"Sign-in with '{name}' is not available here.", code="provider_not_available")
    secret = settings.google_client_secret
    if secret is None and settings.google_client_secret_arn:
        secret = secret_json(settings.google_client_secret_arn)["client_secret"]
    return Provider(
        name=name,
        client_id=settings.google_client_id,
        client_secret=secret,
        issuer=settings.google_issuer,
        authorization_endpoint=_checked_endpoint(settings.google_authorization_endpoint),
        token_endpoint=_checked_endpoint(settings.google_token_endpoint),
        jwks_uri=_checked_endpoint(settings.google_jwks_uri),
    )


def _checked_endpoint(url: str) -> str:
    """HTTPS only, except a loopback fake provider in development and tests."""
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme != "https" and not (loopback and get_settings().is_local):
        raise NotFound("This sign-in provider is misconfigured.", code="provider_not_available")
    return url


def _checked_redirect_uri(redirect_uri: str) -> str:
    """The console's own pages only: a code must never be sent anywhere else."""
    console = urlsplit(get_settings().console_url)
    target = urlsplit(redirect_uri)
    if (
        len(redirect_uri) > REDIRECT_URI_MAX_LENGTH
        or (target.scheme, target.netloc) != (console.scheme, console.netloc)
        or target.fragment
    ):
        raise InvalidInput(
            "redirect_uri must be a console page (at most 160 characters).", code="invalid_redirect_uri"
        )
    return redirect_uri


def _state_key(provider_name: str, state: str) -> str:
    return f"oauth:{provider_name}:{token_digest(state)}"


def _code_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def start(provider_name: str, redirect_uri: str, caller: Caller) -> OAuthStartOut:
    chosen = provider(provider_name)
    redirect_uri = _checked_redirect_uri(redirect_uri)
    enforce_sign_in_limits(caller)
    state, verifier, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(16)
    now = datetime.now(UTC)
    saved = json.dumps({"v": verifier, "n": nonce, "r": redirect_uri}, separators=(",", ":"))
    with system_session("start an OAuth sign-in") as db:
        db.execute(
            delete(VerificationToken).where(
                VerificationToken.identifier.startswith("oauth:"), VerificationToken.expires <= now
            )
        )
        db.add(
            VerificationToken(
                identifier=_state_key(chosen.name, state),
                token=saved,
                expires=now + timedelta(minutes=get_settings().oauth_state_ttl_minutes),
            )
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": chosen.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "nonce": nonce,
            "code_challenge": _code_challenge(verifier),
            "code_challenge_method": "S256",
            "prompt": "select_account",
        }
    )
    return OAuthStartOut(authorization_url=f"{chosen.authorization_endpoint}?{query}", state=state)


def _refused(message: str, code: str = "oauth_failed") -> Unauthenticated:
    return Unauthenticated(message, code=code)


def _exchange_code(chosen: Provider, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": chosen.client_id,
        "code_verifier": verifier,
    }
    if chosen.client_secret:
        form["client_secret"] = chosen.client_secret
    request = urllib.request.Request(  # noqa: S310 - the endpoint is checked (https, or loopback locally)
        chosen.token_endpoint,
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            payload = json.loads(response.read())
    except urllib.error.HTTPError as error:
        logger.warning("OAuth code exchange refused", extra={"provider": chosen.name, "status": error.code})
        raise _refused("The sign-in provider did not accept this sign-in. Please start again.") from None
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        logger.error(
            "OAuth code exchange failed", extra={"provider": chosen.name, "error_type": type(error).__name__}
        )
        raise _refused("The sign-in provider could not be reached. Please try again.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("id_token"), str):
        raise _refused("The sign-in provider sent no identity token.")
    return payload


@lru_cache(maxsize=4)
def _jwks_client(jwks_uri: str) -> jwt.PyJWKClient:
    """Keys cached for the container's life (re-fetched when a token names an unknown key id)."""
    return jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=_HTTP_TIMEOUT_SECONDS)


def validate_id_token(chosen: Provider, id_token: str, nonce: str) -> dict[str, Any]:
    try:
        key = _jwks_client(chosen.jwks_uri).get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key.key,
            algorithms=["RS256"],
            audience=chosen.client_id,
            issuer=chosen.issuers,
            leeway=_CLOCK_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        logger.warning(
            "ID token refused", extra={"provider": chosen.name, "error_type": type(error).__name__}
        )
        raise _refused("The sign-in provider's identity token is not valid.", "oauth_invalid_token") from None
    if not same_text(nonce, str(claims.get("nonce", ""))):
        raise _refused(
            "The sign-in provider's identity token does not belong to this sign-in.", "oauth_invalid_token"
        )
    if not isinstance(claims.get("email"), str):
        raise _refused("The sign-in provider did not share an e-mail address.", "oauth_invalid_token")
    return claims


def callback(provider_name: str, code: str, state: str, caller: Caller) -> SessionIssuedOut:
    method = f"oauth:{provider_name}"
    with audited_attempt(caller, method) as attempt:
        chosen = provider(provider_name)
        enforce_sign_in_limits(caller)
        pending = _consume_state(chosen, state)
        tokens = _exchange_code(chosen, code, pending["r"], pending["v"])
        claims = validate_id_token(chosen, tokens["id_token"], pending["n"])
        email, subject = claims["email"].strip().lower(), str(claims["sub"])
        attempt.email = email
        enforce_sign_in_limits(email=email)
        with system_session("sign in with an OAuth provider") as db:
            found, newly_linked = _user_for(db, chosen, subject, email, claims)
            attempt.found(found[0])
            require_may_sign_in(*found)
            if newly_linked:
                _link(db, found[0], chosen, subject, tokens)
            return start_session(
                db,
                found[0],
                caller,
                method=method,
                email_verified=claims.get("email_verified") is True and found[0].email == email,
                linked=newly_linked,
            )


def _consume_state(chosen: Provider, state: str) -> dict[str, Any]:
    """The state's saved PKCE verifier, nonce and redirect; committed at once: single use, come what may."""
    with system_session("consume an OAuth state") as db:
        saved = db.execute(
            delete(VerificationToken)
            .where(VerificationToken.identifier == _state_key(chosen.name, state))
            .returning(VerificationToken.token, VerificationToken.expires)
        ).one_or_none()
    if saved is None or saved.expires <= datetime.now(UTC):
        raise _refused(
            "This sign-in has expired or was already used. Please start again.", "oauth_state_invalid"
        )
    return json.loads(saved.token)


def _user_for(
    db: Session, chosen: Provider, subject: str, email: str, claims: dict[str, Any]
) -> tuple[tuple[User, str | None], bool]:
    """The user this provider account signs in as, and whether this sign-in links it for the first time.
    A linked account wins over the e-mail; an unlinked one links only by a verified, known e-mail."""
    linked_user_id = db.scalar(
        select(Account.user_id).where(Account.provider == chosen.name, Account.provider_account_id == subject)
    )
    if linked_user_id is not None:
        user = db.get(User, linked_user_id)
        found = find_user(db, user.email) if user is not None else None
        if found is None:
            raise _refused("The account linked to this sign-in no longer exists.", "account_inactive")
        return found, False
    if claims.get("email_verified") is not True:
        raise Forbidden(
            "Your provider has not verified this e-mail address, so it cannot be linked.",
            code="email_not_verified",
        )
    found = find_user(db, email)
    if found is None:
        raise Forbidden(
            "No Buzzi account uses this e-mail address. Sign up first, then sign in.", code="no_account"
        )
    return found, True


def _link(db: Session, user: User, chosen: Provider, subject: str, tokens: dict[str, Any]) -> None:
    db.add(
        Account(
            user_id=user.id,
            type="oidc",
            provider=chosen.name,
            provider_account_id=subject,
            token_type=str(tokens.get("token_type") or "") or None,
            scope=str(tokens.get("scope") or "")[:255] or None,
        )
    )
