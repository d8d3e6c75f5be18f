"""Delivering one webhook event to one endpoint, signed per Standard Webhooks, with retries.

For each queue message: load the endpoint in its company's tenant context (skip it if it was
deleted or disabled), check its URL again (DNS can change since creation), sign and POST with
httpx (10 s timeout, no redirects), then record the outcome on the endpoint's counters:

* 2xx: delivered.
* 410 Gone: the receiver asked us to stop; the endpoint is disabled.
* anything else (other statuses, timeouts, connection errors, a refused address): a failure.
  While attempts remain (`max_retries`), a new message with `attempt + 1` is queued with
  `DelaySeconds = min(900, retry_delay/1000 * 2**attempt)` (exponential backoff); the current
  record is done. After the last attempt the event is dropped with the reason in `last_error`
  (and a copy goes to the dead-letter queue when one is configured).

Every attempt of an event carries the same `webhook-id`; an SQS redelivery can POST an event
twice, so receivers de-duplicate by `webhook-id`, as the Standard Webhooks contract says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, update

from chatapp.db.models.channels import Webhook
from chatapp.db.ownership import owned
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import InvalidInput
from chatapp.integrations import secret_box
from chatapp.integrations.pinned_http import pinned_stream
from chatapp.integrations.public_urls import CheckedUrl, UrlNotAllowed
from chatapp.integrations.queues import dead_letter
from chatapp.observability import count, logger
from chatapp.webhooks import events
from chatapp.webhooks.endpoints import SECRET_PREFIX, check_webhook_url, secret_context

TIMEOUT_SECONDS = 10.0
MAX_DELAY_SECONDS = 900  # SQS's limit for DelaySeconds
USER_AGENT = "Buzzi-Webhooks/1.0"


class DeliveryMessage(BaseModel):
    company_id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: str
    event_type: str
    body: str
    attempt: int = 0

    @classmethod
    def from_body(cls, body: str) -> DeliveryMessage:
        try:
            return cls.model_validate_json(body)
        except ValidationError:
            raise InvalidInput("Not a webhook delivery message.", code="invalid_webhook_message") from None


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"  # failed; a retry is queued
    GAVE_UP = "gave_up"  # failed on the last allowed attempt
    DISABLED = "disabled"  # 410 Gone: the endpoint is switched off
    SKIPPED = "skipped"  # the endpoint was deleted or disabled since the event


@dataclass(frozen=True)
class _Endpoint:
    url: str
    sealed_secret: str
    headers: dict[str, Any]
    max_retries: int
    retry_delay_ms: int


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_delay_seconds(retry_delay_ms: int, attempt: int) -> int:
    return int(min(MAX_DELAY_SECONDS, retry_delay_ms / 1000 * 2**attempt))


@lru_cache(maxsize=1)
def _http() -> Any:
    import httpx

    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)


def _post(target: CheckedUrl, body: str, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """(status, None) when the receiver answered, else (None, the reason). The body is never read.
    The connection goes to the address just checked, never to a fresh DNS answer."""
    import httpx

    try:
        with pinned_stream(_http(), "POST", target, content=body.encode(), headers=headers) as response:
            return response.status_code, None
    except httpx.TimeoutException:
        return None, "timeout"
    except httpx.HTTPError as error:
        return None, f"connection error: {type(error).__name__}"


def deliver(message: DeliveryMessage) -> DeliveryOutcome:
    context = TenantContext.company_service(message.company_id)
    endpoint = _load(context, message.webhook_id)
    if endpoint is None:
        return DeliveryOutcome.SKIPPED
    status, error = _attempt(message, endpoint)
    now = datetime.now(UTC)
    if status is not None and 200 <= status < 300:
        _record(context, message.webhook_id, now, success=True)
        return DeliveryOutcome.DELIVERED
    if status == 410:
        _record(context, message.webhook_id, now, success=False, error="410 Gone: disabled", disable=True)
        return DeliveryOutcome.DISABLED
    reason = error or f"HTTP {status}"
    count("WebhookDeliveryFailures")
    if message.attempt < endpoint.max_retries:
        _record(context, message.webhook_id, now, success=False, error=reason)
        delay = retry_delay_seconds(endpoint.retry_delay_ms, message.attempt)
        retry = message.model_copy(update={"attempt": message.attempt + 1})
        events.send([retry.model_dump(mode="json")], delay_seconds=delay)
        logger.info(
            "webhook delivery failed; retry queued",
            extra={
                "event_id": message.event_id,
                "reason": reason,
                "attempt": message.attempt,
                "delay": delay,
            },
        )
        return DeliveryOutcome.RETRYING
    attempts = message.attempt + 1
    final = f"{reason} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})"
    _record(context, message.webhook_id, now, success=False, error=final)
    _dead_letter(message, final)
    logger.warning("webhook delivery gave up", extra={"event_id": message.event_id, "reason": reason})
    return DeliveryOutcome.GAVE_UP


def _load(context: TenantContext, webhook_id: uuid.UUID) -> _Endpoint | None:
    with tenant_session(context) as db:
        row = owned(db, Webhook, webhook_id)
        if row is None or not row.is_active:
            return None
        return _Endpoint(
            url=row.url,
            sealed_secret=row.secret,
            headers=dict(row.headers or {}),
            max_retries=row.max_retries if row.max_retries is not None else 3,
            retry_delay_ms=row.retry_delay if row.retry_delay is not None else 1000,
        )


def _attempt(message: DeliveryMessage, endpoint: _Endpoint) -> tuple[int | None, str | None]:
    try:
        target = check_webhook_url(endpoint.url)  # again: DNS may point elsewhere now
    except UrlNotAllowed as refused:
        return None, f"address not allowed: {refused.code}"
    try:
        secret = secret_box.open_sealed(
            endpoint.sealed_secret, secret_context(message.company_id, message.webhook_id)
        )
    except secret_box.SecretUnreadable:
        return None, "signing secret unreadable: rotate the secret"
    timestamp = int(time.time())
    headers = {
        # The endpoint's own headers first: the platform's below always win.
        **{str(k): str(v) for k, v in endpoint.headers.items() if not str(k).lower().startswith("webhook-")},
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message.event_id, timestamp, message.body),
    }
    return _post(target, message.body, headers)


def _record(
    context: TenantContext,
    webhook_id: uuid.UUID,
    now: datetime,
    *,
    success: bool,
    error: str | None = None,
    disable: bool = False,
) -> None:
    """Counters move with atomic UPDATEs: concurrent deliveries to one endpoint never lose a count."""
    values: dict[str, Any] = {"last_triggered_at": now}
    if success:
        values |= {"success_count": func.coalesce(Webhook.success_count, 0) + 1, "last_success_at": now}
    else:
        values |= {
            "failure_count": func.coalesce(Webhook.failure_count, 0) + 1,
            "last_failure_at": now,
            "last_error": (error or "")[:1000],
        }
    if disable:
        values["is_active"] = False
    with tenant_session(context) as db:
        db.execute(update(Webhook).where(Webhook.id == webhook_id).values(**values))


def _dead_letter(message: DeliveryMessage, reason: str) -> None:
    queue_url = os.environ.get("WEBHOOK_DLQ_URL")
    if not queue_url:
        return
    try:
        dead_letter(queue_url, message.model_dump_json(), message.event_id, reason)
    except Exception as error:  # the outcome is recorded on the endpoint either way
        logger.warning("webhook dead-letter failed", extra={"error_type": type(error).__name__})
