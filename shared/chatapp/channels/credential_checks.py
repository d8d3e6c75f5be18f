"""What Buzzi asks the platform before it trusts a connection, and where it lets replies go.

A connection names the platform account it speaks for (a Teams app id, a Telegram bot, a Slack
team, a WhatsApp phone number, a Messenger page, an Instagram account). Typing an identifier
proves nothing, so it is bound only once the platform confirms that the secret given with it is
genuine and belongs to it:

* Teams: a client-credentials token request for the app id and password (Microsoft sign-in);
* Telegram: `getMe` with the bot token answers the bot's username;
* Slack: `auth.test` with the bot token answers the workspace's team id;
* WhatsApp, Messenger, Instagram: Graph `GET /{id}` with the access token answers that id
  (Graph refuses a token that has no access to the phone number, page or account).

Custom integrations have no platform to ask; their `callbackUrl` must be a public https address
(`integrations/public_urls.py`). Teams replies go only to Bot Framework's service hosts
(`teams_service_hosts` in the settings), whatever `serviceUrl` an activity names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from chatapp.config import get_settings
from chatapp.db.enums import ChannelType
from chatapp.integrations.public_urls import CheckedUrl, Resolver, check_url, resolve

TIMEOUT_SECONDS = 10.0
_META_RATE_LIMITS = {4, 17, 32, 613}  # Graph error codes for throttling: not a verdict on the token


class CredentialsRejected(Exception):
    """The platform says the credentials are wrong or belong to another account (safe to show)."""


class PlatformUnreachable(Exception):
    """The platform could not be asked (timeout, 5xx, throttling); nothing was decided."""


# The fields each check depends on: a rotation that touches one of them is checked again.
CHECKED_FIELDS: dict[ChannelType, tuple[str, ...]] = {
    ChannelType.TEAMS: ("appId", "appPassword"),
    ChannelType.TELEGRAM: ("botUsername", "botToken"),
    ChannelType.SLACK: ("teamId", "botToken"),
    ChannelType.WHATSAPP: ("phoneNumberId", "accessToken"),
    ChannelType.MESSENGER: ("pageId", "pageAccessToken"),
    ChannelType.INSTAGRAM: ("accountId", "pageAccessToken"),
    ChannelType.CUSTOM: ("callbackUrl",),
}


def check_callback_url(url: str, *, resolver: Resolver = resolve) -> CheckedUrl:
    """A custom integration's callback: https on a public address (http in development; loopback
    where settings allow it, never deployed)."""
    settings = get_settings()
    return check_url(
        url,
        allow_http=settings.is_local,
        allow_loopback=settings.loopback_urls_allowed,
        resolver=resolver,
        kind="callback",
    )


def teams_service_url_allowed(url: str) -> bool:
    """Whether `url` is on a Bot Framework service host (https; http too in development and tests)."""
    settings = get_settings()
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and settings.is_local):
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    netloc = f"{host}:{port}" if port else host
    return any(
        _host_matches(pattern.strip().lower(), host, netloc) for pattern in settings.teams_service_hosts
    )


def _host_matches(pattern: str, host: str, netloc: str) -> bool:
    if ":" in pattern:
        return netloc == pattern
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def verify(channel: ChannelType, credentials: dict[str, str]) -> None:
    """Raises CredentialsRejected, PlatformUnreachable or UrlNotAllowed; returns when the platform
    confirmed the credentials (or the channel has nothing to ask a platform about)."""
    if channel is ChannelType.CUSTOM:
        check_callback_url(credentials["callbackUrl"])
        return
    check = _CHECKS.get(channel)
    if check is None:
        return
    import httpx

    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
        try:
            check(http, credentials)
        except httpx.HTTPError:
            raise PlatformUnreachable(f"{_NAMES[channel]} could not be reached; try again.") from None


def _json(response: Any) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _unavailable(response: Any, platform: str) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        raise PlatformUnreachable(f"{platform} could not check the credentials right now; try again.")


def _teams(http: Any, creds: dict[str, str]) -> None:
    response = http.post(
        get_settings().teams_token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds["appId"],
            "client_secret": creds["appPassword"],
            "scope": "https://api.botframework.com/.default",
        },
    )
    _unavailable(response, "Microsoft sign-in")
    if response.status_code != 200 or not _json(response).get("access_token"):
        raise CredentialsRejected("Microsoft sign-in rejected this app id and password.")


def _telegram(http: Any, creds: dict[str, str]) -> None:
    token = quote(creds["botToken"], safe=":")
    response = http.get(f"{get_settings().telegram_api_base_url}/bot{token}/getMe")
    _unavailable(response, "Telegram")
    answer = _json(response)
    if response.status_code != 200 or not answer.get("ok"):
        raise CredentialsRejected("Telegram rejected the bot token.")
    username = str((answer.get("result") or {}).get("username") or "")
    if username.lower() != creds["botUsername"].removeprefix("@").lower():
        raise CredentialsRejected(f"This bot token belongs to another bot than @{creds['botUsername']}.")


def _slack(http: Any, creds: dict[str, str]) -> None:
    response = http.post(
        f"{get_settings().slack_api_base_url}/auth.test",
        headers={"Authorization": f"Bearer {creds['botToken']}"},
    )
    _unavailable(response, "Slack")
    answer = _json(response)
    if answer.get("error") == "ratelimited":
        raise PlatformUnreachable("Slack could not check the credentials right now; try again.")
    if response.status_code != 200 or not answer.get("ok"):
        raise CredentialsRejected("Slack rejected the bot token.")
    if str(answer.get("team_id")) != creds["teamId"]:
        raise CredentialsRejected(
            f"This bot token belongs to another Slack workspace than {creds['teamId']}."
        )


def _graph(id_field: str, token_field: str, what: str) -> Callable[[Any, dict[str, str]], None]:
    def check(http: Any, creds: dict[str, str]) -> None:
        identifier = creds[id_field]
        response = http.get(
            f"{get_settings().graph_api_base_url}/{quote(identifier, safe='')}",
            params={"fields": "id"},
            headers={"Authorization": f"Bearer {creds[token_field]}"},
        )
        _unavailable(response, "Meta")
        answer = _json(response)
        if (answer.get("error") or {}).get("code") in _META_RATE_LIMITS:
            raise PlatformUnreachable("Meta could not check the credentials right now; try again.")
        if response.status_code != 200 or str(answer.get("id")) != identifier:
            raise CredentialsRejected(f"Meta did not accept this access token for the {what} {identifier}.")

    return check


_CHECKS: dict[ChannelType, Callable[[Any, dict[str, str]], None]] = {
    ChannelType.TEAMS: _teams,
    ChannelType.TELEGRAM: _telegram,
    ChannelType.SLACK: _slack,
    ChannelType.WHATSAPP: _graph("phoneNumberId", "accessToken", "phone number id"),
    ChannelType.MESSENGER: _graph("pageId", "pageAccessToken", "page"),
    ChannelType.INSTAGRAM: _graph("accountId", "pageAccessToken", "Instagram account"),
}
_NAMES = {
    ChannelType.TEAMS: "Microsoft sign-in",
    ChannelType.TELEGRAM: "Telegram",
    ChannelType.SLACK: "Slack",
    ChannelType.WHATSAPP: "Meta",
    ChannelType.MESSENGER: "Meta",
    ChannelType.INSTAGRAM: "Meta",
}
