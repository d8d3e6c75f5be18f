"""Inbound webhook verification, one function per platform, each run before anything is parsed.

Every comparison of a secret or signature is constant-time (`hmac.compare_digest`). Each function
returns nothing when the request is genuine and raises `WebhookRejected` otherwise; callers answer
a rejection with 401/403 and store nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from chatapp.security import same_text

SLACK_REPLAY_WINDOW_SECONDS = 300
CUSTOM_REPLAY_WINDOW_SECONDS = 300


class WebhookRejected(Exception):
    """The request is not from the platform (or is a replay); the reason is for logs, not callers."""


def _equal(a: str, b: str) -> bool:
    return same_text(a, b)


def meta_handshake(verify_token: str, query: Mapping[str, str]) -> str:
    """WhatsApp Cloud API, Messenger and Instagram subscribe with a GET; echo `hub.challenge`."""
    if query.get("hub.mode") != "subscribe" or not _equal(query.get("hub.verify_token", ""), verify_token):
        raise WebhookRejected("verify token mismatch")
    challenge = query.get("hub.challenge", "")
    if not challenge or len(challenge) > 200:
        raise WebhookRejected("missing challenge")
    return challenge


def meta_signature(app_secret: str, raw_body: bytes, header: str | None) -> None:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    expected = "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not header or not _equal(header, expected):
        raise WebhookRejected("bad X-Hub-Signature-256")


def telegram_secret(expected_secret: str, header: str | None) -> None:
    """`X-Telegram-Bot-Api-Secret-Token`, the secret given to setWebhook."""
    if not header or not _equal(header, expected_secret):
        raise WebhookRejected("bad Telegram secret token")


def slack_signature(
    signing_secret: str,
    timestamp: str | None,
    raw_body: bytes,
    signature: str | None,
    now: float | None = None,
) -> None:
    """`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`, within five minutes."""
    if not timestamp or not signature or not timestamp.isdigit():
        raise WebhookRejected("missing Slack signature headers")
    if abs((now or time.time()) - int(timestamp)) > SLACK_REPLAY_WINDOW_SECONDS:
        raise WebhookRejected("stale Slack timestamp")
    base = b"v0:" + timestamp.encode() + b":" + raw_body
    expected = "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    if not _equal(signature, expected):
        raise WebhookRejected("bad Slack signature")


def custom_signature(
    secret: str, timestamp: str | None, raw_body: bytes, signature: str | None, now: float | None = None
) -> None:
    """Buzzi's own scheme for custom integrations: `X-Buzzi-Timestamp` (unix seconds) and
    `X-Buzzi-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">`, within five minutes."""
    if not timestamp or not signature or not timestamp.isdigit():
        raise WebhookRejected("missing signature headers")
    if abs((now or time.time()) - int(timestamp)) > CUSTOM_REPLAY_WINDOW_SECONDS:
        raise WebhookRejected("stale timestamp")
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    )
    if not _equal(signature, expected):
        raise WebhookRejected("bad signature")


def teams_token(
    authorization: str | None,
    app_id: str,
    issuer: str,
    signing_key: Callable[[str | None], dict[str, Any] | None],
    *,
    service_url: str,
) -> dict[str, Any]:
    """Bot Framework: a JWT bearer signed by one of the channel service's keys (RS256), for our app
    id, whose `serviceurl` claim is the activity's `serviceUrl` (replies go there, with our token:
    a genuine token captured for one activity must not vouch for another service URL)."""
    import jwt

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise WebhookRejected("missing bearer token")
    try:
        header = jwt.get_unverified_header(token)
        key = signing_key(header.get("kid"))
        if key is None:
            raise WebhookRejected("unknown signing key")
        claims: dict[str, Any] = jwt.decode(
            token,
            jwt.PyJWK(key).key,
            algorithms=["RS256"],
            audience=app_id,
            issuer=issuer,
            options={"require": ["exp", "iss", "aud"]},
            leeway=300,  # Bot Framework allows five minutes of clock skew
        )
    except jwt.PyJWTError as error:
        raise WebhookRejected(f"bad Teams token: {type(error).__name__}") from None
    claimed = str(claims.get("serviceurl") or claims.get("serviceUrl") or "")
    if not claimed or not service_url or not _equal(claimed.rstrip("/"), service_url.rstrip("/")):
        raise WebhookRejected("the token's serviceurl claim is not the activity's serviceUrl")
    return claims


def sign_custom(secret: str, timestamp: int, raw_body: bytes) -> str:
    """What a custom integration computes (documented for integrators; used by tests)."""
    return (
        "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    )


def new_secret() -> str:
    import secrets

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
