"""Inbound channel webhooks, behind one Lambda function URL per channel family.

The webhook id is the last path segment (`https://<function url>/<webhook id>`). The request is
verified before anything is parsed, queued, and acknowledged within the platforms' deadlines.
"""

from __future__ import annotations

from fastapi import Request, Response

from chatapp.api.app import create_app, lambda_handler
from chatapp.channels import inbound

app = create_app("channel webhooks", console_cors=False)


# One route per method, so each has its own operation id in the OpenAPI.
@app.get("/{path:path}", operation_id="verify_webhook")
@app.post("/{path:path}", operation_id="receive_webhook")
async def webhook(path: str, request: Request) -> Response:
    webhook_id = path.rstrip("/").rsplit("/", 1)[-1]
    reply = inbound.receive(
        webhook_id,
        request.method,
        {k.lower(): v for k, v in request.headers.items()},
        dict(request.query_params),
        await request.body(),
    )
    return Response(content=reply.body, status_code=reply.status, media_type=reply.content_type)


handler = lambda_handler(app)
