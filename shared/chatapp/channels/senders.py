"""Replies back through each platform's send API (httpx), split at the platform's size limit.

A send either succeeds, fails for a reason worth retrying (timeouts, 429, 5xx), or fails for good:
an expired or revoked credential (`CredentialRejected`, which marks the channel unverified and
shows the admin why) or a request the platform refuses (`SendRefused`). Redirects are never
followed (a 3xx is a refusal).

Teams replies go only to Bot Framework service hosts (`credential_checks.teams_service_url_allowed`),
with a token cached per company, app id and password digest: a connection never uses a token
another connection (another company's above all) obtained. A custom integration's callback URL is
checked again before each send (DNS can change), and its failures are told without the network
detail (no status code, no exception name): the tenant chooses that URL, and the detail would
let it probe what answers where.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from chatapp.channels.catalogue import CHANNELS, split_text
from chatapp.channels.credential_checks import check_callback_url, teams_service_url_allowed
from chatapp.config import get_settings
from chatapp.db.enums import ChannelType
from chatapp.integrations.pinned_http import pinned_request_parts
from chatapp.integrations.public_urls import UrlNotAllowed

TIMEOUT_SECONDS = 10.0
CUSTOM_ENDPOINT = "Your endpoint"
CUSTOM_ERROR = "Your endpoint answered with an error."
CUSTOM_UNREACHABLE = "Your endpoint could not be reached."
_SLACK_AUTH_ERRORS = {"invalid_auth", "token_revoked", "token_expired", "account_inactive", "not_authed"}


class SendFailed(Exception):
    """Worth retrying: the platform or the network had a bad moment."""


class SendRefused(Exception):
    """Permanent: the platform refused this message."""


class CredentialRejected(SendRefused):
    """Permanent until an admin acts: the token is expired, revoked or wrong."""


def _client() -> Any:
    import httpx

    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)


def send_text(
    channel: ChannelType,
    credentials: dict[str, str],
    conversation_key: str,
    text: str,
    reply_context: dict[str, Any],
    *,
    company_id: str,
    skip_parts: int = 0,
) -> int:
    """Send `text` (in parts); returns how many parts were sent in total. `skip_parts` lets a retry
    resume after the parts an earlier attempt already delivered. `company_id` scopes what is cached
    for the connection (Teams tokens) to the company it belongs to."""
    parts = split_text(text, CHANNELS[channel].max_text)
    sent = skip_parts
    with _client() as http:
        for part in parts[skip_parts:]:
            try:
                _SENDERS[channel](http, credentials, conversation_key, part, reply_context, company_id)
            except SendFailed as error:
                raise SendFailed(f"{error} (after {sent} of {len(parts)} parts)") from None
            sent += 1
    return sent


def _check(response: Any, platform: str) -> Any:
    status = response.status_code
    if platform == CUSTOM_ENDPOINT:  # the tenant's own URL: say that it failed, not how
        if status == 429 or status >= 500:
            raise SendFailed(CUSTOM_ERROR)
        if status >= 300:
            raise SendRefused(CUSTOM_ERROR)
        return response
    if status in (401, 403) or (status == 400 and _meta_auth_error(response)):
        raise CredentialRejected(f"{platform} rejected the credentials (HTTP {status})")
    if status == 429 or status >= 500:
        raise SendFailed(f"{platform} answered HTTP {status}")
    if status >= 300:  # redirects are not followed; a send API has no reason to send one
        raise SendRefused(f"{platform} refused the message (HTTP {status})")
    return response


def _meta_auth_error(response: Any) -> bool:
    try:
        return (response.json().get("error") or {}).get("code") == 190  # OAuthException: expired token
    except ValueError:
        return False


def _post(http: Any, url: str, platform: str, **kwargs: Any) -> Any:
    import httpx

    try:
        return _check(http.post(url, **kwargs), platform)
    except httpx.TimeoutException:
        raise SendFailed(
            CUSTOM_UNREACHABLE if platform == CUSTOM_ENDPOINT else f"{platform} timed out"
        ) from None
    except httpx.TransportError as error:
        if platform == CUSTOM_ENDPOINT:
            raise SendFailed(CUSTOM_UNREACHABLE) from None
        raise SendFailed(f"{platform} unreachable ({type(error).__name__})") from None


def _whatsapp(http: Any, creds: dict[str, str], to: str, text: str, _: dict[str, Any], __: str) -> None:
    url = f"{get_settings().graph_api_base_url}/{creds['phoneNumberId']}/messages"
    body = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": text}}
    _post(http, url, "WhatsApp", json=body, headers={"Authorization": f"Bearer {creds['accessToken']}"})


def _page_messages(account_field: str, platform: str) -> Any:
    def send(http: Any, creds: dict[str, str], to: str, text: str, _: dict[str, Any], __: str) -> None:
        url = f"{get_settings().graph_api_base_url}/{creds[account_field]}/messages"
        body = {"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": {"text": text}}
        _post(http, url, platform, json=body, headers={"Authorization": f"Bearer {creds['pageAccessToken']}"})

    return send


def _telegram(http: Any, creds: dict[str, str], chat: str, text: str, _: dict[str, Any], __: str) -> None:
    url = f"{get_settings().telegram_api_base_url}/bot{creds['botToken']}/sendMessage"
    response = _post(http, url, "Telegram", json={"chat_id": chat, "text": text})
    if not response.json().get("ok", False):
        raise SendRefused("Telegram refused the message")


def _slack(
    http: Any, creds: dict[str, str], channel: str, text: str, context: dict[str, Any], _: str
) -> None:
    body = {"channel": context.get("channel", channel), "text": text}
    if context.get("thread_ts"):
        body["thread_ts"] = context["thread_ts"]
    url = f"{get_settings().slack_api_base_url}/chat.postMessage"
    response = _post(http, url, "Slack", json=body, headers={"Authorization": f"Bearer {creds['botToken']}"})
    answer = response.json()
    if not answer.get("ok"):
        error = str(answer.get("error"))
        if error in _SLACK_AUTH_ERRORS:
            raise CredentialRejected(f"Slack rejected the bot token ({error})")
        if error == "ratelimited":
            raise SendFailed("Slack rate limit")
        raise SendRefused(f"Slack refused the message ({error})")


def _teams(
    http: Any, creds: dict[str, str], conversation: str, text: str, context: dict[str, Any], company_id: str
) -> None:
    service_url = str(context.get("serviceUrl") or "").rstrip("/")
    if not service_url:
        raise SendRefused("the Teams conversation has no serviceUrl")
    if not teams_service_url_allowed(service_url):
        raise SendRefused("the Teams conversation's serviceUrl is not a Bot Framework host")
    token = _teams_token(http, creds, company_id)
    url = f"{service_url}/v3/conversations/{context.get('conversationId', conversation)}/activities"
    _post(
        http,
        url,
        "Teams",
        json={"type": "message", "text": text},
        headers={"Authorization": f"Bearer {token}"},
    )


# (company id, app id, SHA-256 of the app password) -> (expires at, token): a token is reused only
# by the connection whose credentials obtained it.
_teams_tokens: dict[tuple[str, str, str], tuple[float, str]] = {}


def _teams_token(http: Any, creds: dict[str, str], company_id: str) -> str:
    """A Bot Framework access token (client credentials), reused until shortly before it expires."""
    key = (company_id, creds["appId"], hashlib.sha256(creds["appPassword"].encode()).hexdigest())
    cached = _teams_tokens.get(key)
    if cached and cached[0] > time.time():
        return cached[1]
    response = _post(
        http,
        get_settings().teams_token_url,
        "Teams sign-in",
        data={
            "grant_type": "client_credentials",
            "client_id": creds["appId"],
            "client_secret": creds["appPassword"],
            "scope": "https://api.botframework.com/.default",
        },
    )
    answer = response.json()
    token = str(answer["access_token"])
    _teams_tokens[key] = (time.time() + int(answer.get("expires_in", 3600)) - 300, token)
    return token


def _custom(
    http: Any, creds: dict[str, str], conversation: str, text: str, _: dict[str, Any], __: str
) -> None:
    body = json.dumps({"conversation_id": conversation, "text": text}).encode()
    stamp = str(int(time.time()))
    signature = (
        "sha256="
        + hmac.new(creds["webhookSecret"].encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    headers = {"Content-Type": "application/json", "X-Buzzi-Timestamp": stamp, "X-Buzzi-Signature": signature}
    try:
        target = check_callback_url(creds["callbackUrl"])
    except UrlNotAllowed:
        raise SendRefused(
            "Your endpoint's address is not allowed: it must be a public https URL. Update the callback URL."
        ) from None
    # To the address just checked, never to a fresh DNS answer (integrations/pinned_http.py).
    url, host, extensions = pinned_request_parts(target)
    _post(http, url, CUSTOM_ENDPOINT, content=body, headers={**headers, **host}, extensions=extensions)


_SENDERS = {
    ChannelType.WHATSAPP: _whatsapp,
    ChannelType.MESSENGER: _page_messages("pageId", "Messenger"),
    ChannelType.INSTAGRAM: _page_messages("accountId", "Instagram"),
    ChannelType.TELEGRAM: _telegram,
    ChannelType.SLACK: _slack,
    ChannelType.TEAMS: _teams,
    ChannelType.CUSTOM: _custom,
}
