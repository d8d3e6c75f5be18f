"""Outbound webhook endpoints: the console's CRUD, signing secrets and test events.

Company admins (and support agents an admin granted `webhooks: ["manage"]`) register HTTPS
endpoints for a set of events. Each endpoint gets a Standard Webhooks signing secret
(`whsec_<base64 of 32 random bytes>`), shown once at creation or rotation and stored sealed with
KMS envelope encryption (bound to the company and the endpoint); reads never return it. URLs must
point at public internet addresses (`chatapp.integrations.public_urls`).
"""

from __future__ import annotations

import base64
import os
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.agents.management import get_agent
from chatapp.config import get_settings
from chatapp.db.models.channels import Webhook
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, Forbidden, NotFound
from chatapp.integrations import secret_box
from chatapp.integrations.public_urls import CheckedUrl, check_url
from chatapp.webhooks import events as webhook_events
from chatapp.webhooks.schemas import (
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
    WebhookTestOut,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
SECRET_BYTES = 32
MAX_ENDPOINTS = 25


def secret_context(company_id: uuid.UUID, webhook_id: uuid.UUID) -> dict[str, str]:
    return {"company": str(company_id), "purpose": "webhook", "webhook": str(webhook_id)}


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def check_webhook_url(url: str) -> CheckedUrl:
    """Plain http only in development; loopback only where settings allow it (never deployed)."""
    settings = get_settings()
    return check_url(url, allow_http=settings.is_local, allow_loopback=settings.loopback_urls_allowed)


def _company(principal: Principal) -> uuid.UUID:
    if principal.company_id is None:
        raise Forbidden("Webhooks belong to a company; manage them as its admin.", code="company_required")
    require_permission(principal, "webhooks", "manage")
    return principal.company_id


def _webhook(db: Session, webhook_id: uuid.UUID, *, lock: bool = False) -> Webhook:
    row = owned(db, Webhook, webhook_id, lock=lock)
    if row is None:
        raise NotFound("No such webhook endpoint.", code="webhook_not_found")
    return row


def list_webhooks(principal: Principal) -> list[WebhookOut]:
    _company(principal)
    with tenant_session(principal.context()) as db:
        rows = db.scalars(select(Webhook).order_by(Webhook.created_at)).all()
        return [WebhookOut.model_validate(row) for row in rows]


def read_webhook(principal: Principal, webhook_id: uuid.UUID) -> WebhookOut:
    _company(principal)
    with tenant_session(principal.context()) as db:
        return WebhookOut.model_validate(_webhook(db, webhook_id))


def create_webhook(principal: Principal, data: WebhookIn) -> WebhookCreatedOut:
    company_id = _company(principal)
    url = check_webhook_url(data.url).url
    with tenant_session(principal.context()) as db:
        if data.agent_id is not None:
            get_agent(db, data.agent_id)  # another company's agent is not found
        count = db.scalar(select(func.count(Webhook.id)).where(Webhook.company_id == company_id)) or 0
        if count >= MAX_ENDPOINTS:
            raise Conflict(
                f"A company can have {MAX_ENDPOINTS} webhook endpoints.", code="webhook_limit_reached"
            )
        webhook_id = uuid.uuid4()
        secret = new_secret()
        row = Webhook(
            id=webhook_id,
            company_id=company_id,
            agent_id=data.agent_id,
            name=data.name.strip(),
            url=url,
            secret=secret_box.seal(secret, secret_context(company_id, webhook_id)),
            events=list(data.events),
            headers=data.headers or {},
            is_active=True,
            max_retries=data.max_retries,
            retry_delay=data.retry_delay,
        )
        db.add(row)
        db.flush()
        db.refresh(row)
        return WebhookCreatedOut.model_validate(
            {**WebhookOut.model_validate(row).model_dump(), "secret": secret}
        )


def update_webhook(principal: Principal, webhook_id: uuid.UUID, patch: WebhookPatch) -> WebhookOut:
    _company(principal)
    changes = patch.model_dump(exclude_unset=True)
    for required in ("name", "url", "events", "is_active", "max_retries", "retry_delay"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    if "url" in changes:
        changes["url"] = check_webhook_url(changes["url"]).url
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "headers" in changes and changes["headers"] is None:
        changes["headers"] = {}
    with tenant_session(principal.context()) as db:
        row = _webhook(db, webhook_id, lock=True)
        for field, value in changes.items():
            setattr(row, field, value)
        if changes.get("is_active") is True:
            row.last_error = None
        db.flush()
        db.refresh(row)
        return WebhookOut.model_validate(row)


def delete_webhook(principal: Principal, webhook_id: uuid.UUID) -> None:
    _company(principal)
    with tenant_session(principal.context()) as db:
        db.delete(_webhook(db, webhook_id, lock=True))


def rotate_secret(principal: Principal, webhook_id: uuid.UUID) -> WebhookSecretOut:
    """A new signing secret, effective at once (the old one stops signing immediately)."""
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        row = _webhook(db, webhook_id, lock=True)
        secret = new_secret()
        row.secret = secret_box.seal(secret, secret_context(company_id, row.id))
        return WebhookSecretOut(id=row.id, secret=secret)


def send_test_event(principal: Principal, webhook_id: uuid.UUID) -> WebhookTestOut:
    """Queue a `webhook.test` event to this endpoint only."""
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        row = _webhook(db, webhook_id)
        if not row.is_active:
            raise Conflict("This endpoint is disabled; enable it first.", code="webhook_inactive")
    event_id = webhook_events.new_event_id()
    body = webhook_events.payload_body(
        webhook_events.TEST_EVENT, {"webhook_id": str(webhook_id), "message": "A test event from Buzzi."}
    )
    # Nothing changes in the database, so the message goes out now (a queue error is the caller's 500).
    webhook_events.send(
        [webhook_events.delivery_message(company_id, webhook_id, event_id, webhook_events.TEST_EVENT, body)]
    )
    return WebhookTestOut(event_id=event_id, event_type=webhook_events.TEST_EVENT)
