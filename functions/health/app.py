"""GET /health and GET /version: is the service up, and which build is it."""

from __future__ import annotations

from fastapi import Response

from chatapp.api.app import create_app, lambda_handler
from chatapp.system import health
from chatapp.system.schemas import HealthOut, VersionOut

app = create_app("health")


@app.get("/health", response_model=HealthOut)
async def get_health(response: Response) -> HealthOut:
    result = health.check_health()
    if result.status != "ok":
        response.status_code = 503
    return result


@app.get("/version", response_model=VersionOut)
async def get_version() -> VersionOut:
    return health.version_info()


handler = lambda_handler(app)
