"""Connecting agents to messaging channels: credentials sealed before they are stored (KMS
envelope encryption), never returned (only which fields are set), rotatable; an unguessable
webhook id per connection; channels only on plans whose `features` include them.

A platform identifier (Teams app id, Telegram bot, Slack team, WhatsApp phone number, page or
Instagram account) is bound only after the platform confirmed the secret given with it
(`channels/credential_checks.py`), at connect and whenever a rotation changes either; a custom
integration's `callbackUrl` must be a public https address. Refusals store nothing. The check runs
outside the database transaction, so no connection is held while a platform answers."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.agents.management import get_agent
from chatapp.billing.quotas import effective_limits, require_feature
from chatapp.channels import credential_checks
from chatapp.channels.catalogue import CHANNELS, GENERATED_SECRETS
from chatapp.channels.schemas import (
    ChannelConnectedOut,
    ChannelConnectIn,
    ChannelCredentialsIn,
    ChannelOut,
    ChannelPatch,
)
from chatapp.config import get_settings
from chatapp.db.enums import ChannelType
from chatapp.db.models.channels import ChannelConfig
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import InvalidInput, NotFound
from chatapp.integrations.secret_box import open_sealed, seal


def secret_context(company_id: uuid.UUID, webhook_id: str) -> dict[str, str]:
    return {"company": str(company_id), "purpose": f"channel:{webhook_id}"}


def webhook_url(channel: ChannelType, webhook_id: str) -> str:
    family = CHANNELS[channel].family
    base = get_settings().channel_webhook_urls.get(family, "")
    return f"{base.rstrip('/')}/{webhook_id}"


def credentials_of(config: ChannelConfig) -> dict[str, str]:
    """All credentials in the clear, for the platform calls of this connection (never for responses)."""
    context = secret_context(config.company_id, config.webhook_id)
    kind = CHANNELS[config.channel]
    stored = config.credentials or {}
    secret_names = set(kind.secret) | set(GENERATED_SECRETS.get(config.channel, ()))
    return {
        name: open_sealed(value, context) if name in secret_names else value
        for name, value in stored.items()
        if isinstance(value, str)
    }


def _present(config: ChannelConfig, generated: dict[str, str] | None = None) -> ChannelOut:
    kind = CHANNELS[config.channel]
    stored = config.credentials or {}
    secret_names = [*kind.secret, *GENERATED_SECRETS.get(config.channel, ())]
    values: dict[str, Any] = {
        "id": config.id,
        "agent_id": config.agent_id,
        "channel": config.channel,
        "webhook_url": config.webhook_url,
        "identifiers": {name: stored[name] for name in kind.public if name in stored},
        "secrets_set": [name for name in secret_names if stored.get(name)],
        "is_active": bool(config.is_active),
        "is_verified": bool(config.is_verified),
        "last_verified_at": config.last_verified_at,
        "last_error": (config.settings or {}).get("lastError"),
        "settings": {k: v for k, v in (config.settings or {}).items() if k != "lastError"},
        "created_at": config.created_at,
    }
    if generated is not None:
        return ChannelConnectedOut(**values, generated_secrets=generated)
    return ChannelOut(**values)


def _require_plan_feature(db: Session, company_id: uuid.UUID, channel: ChannelType) -> None:
    if channel in (ChannelType.WEB, ChannelType.CUSTOM):
        return
    require_feature(db, effective_limits(db, company_id), channel.value, code="channel_not_in_plan")


def _check_credentials(channel: ChannelType, credentials: dict[str, str], *, partial: bool) -> None:
    kind = CHANNELS[channel]
    allowed = set(kind.public) | set(kind.secret)
    unknown = sorted(set(credentials) - allowed)
    if unknown:
        raise InvalidInput(
            f"Unknown {channel.value} credentials: {', '.join(unknown)}.", code="unknown_credentials"
        )
    missing = [name for name in (*kind.public, *kind.secret) if not credentials.get(name)]
    if missing and not partial:
        raise InvalidInput(f"{channel.value} needs: {', '.join(missing)}.", code="missing_credentials")


def _prove(channel: ChannelType, credentials: dict[str, str]) -> None:
    """Ask the platform whether the credentials are genuine and the identifier theirs."""
    missing = [
        name for name in credential_checks.CHECKED_FIELDS.get(channel, ()) if not credentials.get(name)
    ]
    if missing:
        raise InvalidInput(f"{channel.value} needs: {', '.join(missing)}.", code="missing_credentials")
    try:
        credential_checks.verify(channel, credentials)
    except credential_checks.CredentialsRejected as error:
        raise InvalidInput(str(error), code="channel_credentials_rejected") from None
    except credential_checks.PlatformUnreachable as error:
        raise InvalidInput(str(error), code="channel_platform_unreachable") from None


def connect(principal: Principal, data: ChannelConnectIn) -> ChannelConnectedOut:
    require_permission(principal, "channels", "write")
    with tenant_session(principal.context()) as db:
        agent = get_agent(db, data.agent_id)  # ids first: another company's agent is not found
        if data.channel is ChannelType.WEB:
            raise InvalidInput(
                "The web widget needs no connection; configure it on the agent.", code="not_a_channel"
            )
        _check_credentials(data.channel, data.credentials, partial=False)
        _require_plan_feature(db, agent.company_id, data.channel)
        company_id, agent_id = agent.company_id, agent.id
    _prove(data.channel, data.credentials)
    with tenant_session(principal.context()) as db:
        get_agent(db, agent_id)  # still there
        webhook_id = secrets.token_urlsafe(24)
        generated = {name: secrets.token_urlsafe(32) for name in GENERATED_SECRETS.get(data.channel, ())}
        context = secret_context(company_id, webhook_id)
        kind = CHANNELS[data.channel]
        stored = {
            name: seal(value, context) if name in kind.secret or name in generated else value
            for name, value in {**data.credentials, **generated}.items()
        }
        config = ChannelConfig(
            company_id=company_id,
            agent_id=agent_id,
            channel=data.channel,
            credentials=stored,
            webhook_id=webhook_id,
            webhook_url=webhook_url(data.channel, webhook_id),
            settings=data.settings,
        )
        db.add(config)
        db.flush()
        db.refresh(config)
        result = _present(config, generated)
        assert isinstance(result, ChannelConnectedOut)
        return result


def _config(db: Session, config_id: uuid.UUID) -> ChannelConfig:
    config = owned(db, ChannelConfig, config_id)
    if config is None:
        raise NotFound("No such channel connection.", code="channel_not_found")
    return config


def list_channels(principal: Principal) -> list[ChannelOut]:
    require_permission(principal, "channels", "read")
    with tenant_session(principal.context()) as db:
        rows = db.scalars(select(ChannelConfig).order_by(ChannelConfig.created_at)).all()
        return [_present(row) for row in rows]


def read_channel(principal: Principal, config_id: uuid.UUID) -> ChannelOut:
    require_permission(principal, "channels", "read")
    with tenant_session(principal.context()) as db:
        return _present(_config(db, config_id))


def rotate_credentials(principal: Principal, config_id: uuid.UUID, data: ChannelCredentialsIn) -> ChannelOut:
    require_permission(principal, "channels", "write")
    with tenant_session(principal.context()) as db:
        config = _config(db, config_id)
        if not data.credentials:
            raise InvalidInput("Send the credentials to replace.", code="missing_credentials")
        _check_credentials(config.channel, data.credentials, partial=True)
        channel = config.channel
        merged = {**credentials_of(config), **data.credentials}
    if set(data.credentials) & set(credential_checks.CHECKED_FIELDS.get(channel, ())):
        _prove(channel, merged)
    with tenant_session(principal.context()) as db:
        config = _config(db, config_id)
        context = secret_context(config.company_id, config.webhook_id)
        kind = CHANNELS[config.channel]
        updates = {
            name: seal(v, context) if name in kind.secret else v for name, v in data.credentials.items()
        }
        config.credentials = {**(config.credentials or {}), **updates}
        config.is_verified = False  # new credentials are proven by the next successful call
        config.settings = {k: v for k, v in (config.settings or {}).items() if k != "lastError"}
        db.flush()
        return _present(config)


def update_channel(principal: Principal, config_id: uuid.UUID, patch: ChannelPatch) -> ChannelOut:
    require_permission(principal, "channels", "write")
    with tenant_session(principal.context()) as db:
        config = _config(db, config_id)
        if patch.is_active is not None:
            config.is_active = patch.is_active
        if patch.settings is not None:
            last_error = (config.settings or {}).get("lastError")
            config.settings = {**patch.settings, **({"lastError": last_error} if last_error else {})}
        db.flush()
        return _present(config)


def disconnect(principal: Principal, config_id: uuid.UUID) -> None:
    require_permission(principal, "channels", "delete")
    with tenant_session(principal.context()) as db:
        db.delete(_config(db, config_id))
