"""Outbound webhook endpoints for the console (company admins): CRUD, secret rotation, test events."""

from __future__ import annotations

import uuid

from fastapi import Response

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.webhooks import endpoints as webhooks
from chatapp.webhooks.schemas import (
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
    WebhookTestOut,
)

app = create_app("webhooks")


@app.get("/v1/webhooks", response_model=list[WebhookOut], tags=[ADMIN])
async def list_webhooks(principal: Authenticated) -> list[WebhookOut]:
    return webhooks.list_webhooks(principal)


@app.post("/v1/webhooks", status_code=201, response_model=WebhookCreatedOut, tags=[ADMIN])
async def create_webhook(body: WebhookIn, principal: Authenticated) -> WebhookCreatedOut:
    return webhooks.create_webhook(principal, body)


@app.get("/v1/webhooks/{webhook_id}", response_model=WebhookOut, tags=[ADMIN])
async def read_webhook(webhook_id: uuid.UUID, principal: Authenticated) -> WebhookOut:
    return webhooks.read_webhook(principal, webhook_id)


@app.patch("/v1/webhooks/{webhook_id}", response_model=WebhookOut, tags=[ADMIN])
async def update_webhook(webhook_id: uuid.UUID, body: WebhookPatch, principal: Authenticated) -> WebhookOut:
    return webhooks.update_webhook(principal, webhook_id, body)


@app.delete("/v1/webhooks/{webhook_id}", status_code=204, tags=[ADMIN])
async def delete_webhook(webhook_id: uuid.UUID, principal: Authenticated) -> Response:
    webhooks.delete_webhook(principal, webhook_id)
    return Response(status_code=204)


@app.post("/v1/webhooks/{webhook_id}/rotate-secret", response_model=WebhookSecretOut, tags=[ADMIN])
async def rotate_secret(webhook_id: uuid.UUID, principal: Authenticated) -> WebhookSecretOut:
    return webhooks.rotate_secret(principal, webhook_id)


@app.post("/v1/webhooks/{webhook_id}/test", status_code=202, response_model=WebhookTestOut, tags=[ADMIN])
async def send_test_event(webhook_id: uuid.UUID, principal: Authenticated) -> WebhookTestOut:
    return webhooks.send_test_event(principal, webhook_id)


handler = lambda_handler(app)
