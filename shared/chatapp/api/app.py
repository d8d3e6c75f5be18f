"""The FastAPI app factory and the Lambda handler every HTTP function exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from mangum import Mangum

from chatapp.api.errors import install_error_handlers
from chatapp.api.openapi import document_errors
from chatapp.api.text_guard import NulTextGuard
from chatapp.config import get_settings
from chatapp.db.audit_trail import RequestMetadata, current_request, normalised_ip
from chatapp.observability import LambdaHandler, observed


def create_app(title: str, *, console_cors: bool = True) -> FastAPI:
    """`console_cors=False` for APIs called from other sites (the widget), which set their own CORS."""
    settings = get_settings()
    app = FastAPI(title=f"Buzzi {title}", version=settings.version, docs_url=None, redoc_url=None)
    # Added before CORS, so CORS (the outer layer) also answers the guard's refusals.
    app.add_middleware(NulTextGuard)
    if console_cors and settings.cors_allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allowed_origins),
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    install_error_handlers(app)
    document_errors(app)
    return app


def lambda_handler(app: FastAPI) -> LambdaHandler:
    """API Gateway HTTP API (payload v2) events in, ASGI app in the middle, responses out."""
    asgi: Callable[[dict[str, Any], Any], Any] = Mangum(app, lifespan="off", api_gateway_base_path="/")

    def handler(event: dict[str, Any], context: Any) -> Any:
        http = (event.get("requestContext") or {}).get("http") or {}
        current_request.set(
            RequestMetadata(ip=normalised_ip(http.get("sourceIp")), user_agent=http.get("userAgent"))
        )
        return asgi(event, context)

    return observed(handler)
