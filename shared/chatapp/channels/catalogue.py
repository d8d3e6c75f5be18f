"""What each channel needs: which credential fields are public identifiers and which are secrets,
its webhook family (one Lambda function URL per family), and its message size limit."""

from __future__ import annotations

from dataclasses import dataclass

from chatapp.db.enums import ChannelType


@dataclass(frozen=True)
class ChannelKind:
    family: str  # the function URL that receives its webhooks
    public: tuple[str, ...]  # identifiers, shown back to admins
    secret: tuple[str, ...]  # sealed at rest, never returned
    max_text: int  # characters per outbound message; longer replies are split


CHANNELS: dict[ChannelType, ChannelKind] = {
    ChannelType.WHATSAPP: ChannelKind(
        "meta", ("phoneNumberId",), ("accessToken", "appSecret", "verifyToken"), 4096
    ),
    ChannelType.MESSENGER: ChannelKind(
        "meta", ("pageId",), ("pageAccessToken", "appSecret", "verifyToken"), 2000
    ),
    ChannelType.INSTAGRAM: ChannelKind(
        "meta", ("accountId",), ("pageAccessToken", "appSecret", "verifyToken"), 1000
    ),
    ChannelType.TELEGRAM: ChannelKind("telegram", ("botUsername",), ("botToken",), 4096),
    ChannelType.SLACK: ChannelKind("slack", ("teamId",), ("botToken", "signingSecret"), 3500),
    ChannelType.TEAMS: ChannelKind("teams", ("appId",), ("appPassword",), 25000),
    ChannelType.CUSTOM: ChannelKind("custom", ("callbackUrl",), (), 10000),
}
# Secrets Buzzi generates itself rather than receiving from the company.
GENERATED_SECRETS: dict[ChannelType, tuple[str, ...]] = {
    ChannelType.TELEGRAM: ("webhookSecret",),
    ChannelType.CUSTOM: ("webhookSecret",),
}


def split_text(text: str, limit: int) -> list[str]:
    """Split at paragraph, then line, then word boundaries so no part exceeds `limit`."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
