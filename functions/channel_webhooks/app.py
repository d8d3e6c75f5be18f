"""Inbound channel webhooks, behind one Lambda function URL per channel family.

The webhook id is the last path segment (`https://<function url>/<webhook id>`). The request is
verified before anything is parsed, queued, and acknowledged within the platforms' deadlines.
"""

from __future__ import annotations

from fastapi import Request, Response

from chatapp.api.app import create_app, lambda_handler
from chatapp.services import channel_inbound

app = create_app("channel webhooks", console_cors=False)


@app.api_route("/{path:path}", methods=["GET", "POST"])
async def webhook(path: str, request: Request) -> Response:
    webhook_id = path.rstrip("/").rsplit("/", 1)[-1]
    reply = channel_inbound.receive(
        webhook_id,
        request.method,
        {k.lower(): v for k, v in request.headers.items()},
        dict(request.query_params),
        await request.body(),
    )
    return Response(content=reply.body, status_code=reply.status, media_type=reply.content_type)


handler = lambda_handler(app)
