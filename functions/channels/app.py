"""Channel connections (console): connect an agent to WhatsApp, Telegram, Slack, ...; rotate
credentials; see verification state and delivery errors."""

from __future__ import annotations

import uuid

from fastapi import Response

from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.channels import configs
from chatapp.channels.schemas import (
    ChannelConnectedOut,
    ChannelConnectIn,
    ChannelCredentialsIn,
    ChannelOut,
    ChannelPatch,
)

app = create_app("channels")


@app.get("/v1/channels", response_model=list[ChannelOut])
async def list_channels(principal: Authenticated) -> list[ChannelOut]:
    return configs.list_channels(principal)


@app.post("/v1/channels", response_model=ChannelConnectedOut, status_code=201, tags=[ADMIN])
async def connect(body: ChannelConnectIn, principal: Authenticated) -> ChannelConnectedOut:
    return configs.connect(principal, body)


@app.get("/v1/channels/{channel_id}", response_model=ChannelOut)
async def read_channel(channel_id: uuid.UUID, principal: Authenticated) -> ChannelOut:
    return configs.read_channel(principal, channel_id)


@app.patch("/v1/channels/{channel_id}", response_model=ChannelOut, tags=[ADMIN])
async def update_channel(channel_id: uuid.UUID, body: ChannelPatch, principal: Authenticated) -> ChannelOut:
    return configs.update_channel(principal, channel_id, body)


@app.put("/v1/channels/{channel_id}/credentials", response_model=ChannelOut, tags=[ADMIN])
async def rotate_credentials(
    channel_id: uuid.UUID, body: ChannelCredentialsIn, principal: Authenticated
) -> ChannelOut:
    return configs.rotate_credentials(principal, channel_id, body)


@app.delete("/v1/channels/{channel_id}", status_code=204, tags=[ADMIN])
async def disconnect(channel_id: uuid.UUID, principal: Authenticated) -> Response:
    configs.disconnect(principal, channel_id)
    return Response(status_code=204)


handler = lambda_handler(app)
