"""API key management (console, company admins): create (the key is shown once), list, revoke."""

from __future__ import annotations

import uuid

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.identity import api_keys
from chatapp.identity.api_key_schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut

app = create_app("api keys")


@app.post("/v1/api-keys", response_model=ApiKeyCreatedOut, status_code=201, tags=[ADMIN])
async def create_key(body: ApiKeyIn, principal: Authenticated) -> ApiKeyCreatedOut:
    return api_keys.create_key(principal, body)


@app.get("/v1/api-keys", response_model=list[ApiKeyOut], tags=[ADMIN])
async def list_keys(principal: Authenticated) -> list[ApiKeyOut]:
    return api_keys.list_keys(principal)


@app.delete("/v1/api-keys/{key_id}", response_model=ApiKeyOut, tags=[ADMIN])
async def revoke_key(key_id: uuid.UUID, principal: Authenticated) -> ApiKeyOut:
    return api_keys.revoke_key(principal, key_id)


handler = lambda_handler(app)
