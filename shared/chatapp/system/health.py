"""Liveness and version information."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from chatapp.config import get_settings
from chatapp.db.engine import app_engine
from chatapp.observability import logger
from chatapp.system.schemas import HealthOut, VersionOut


def check_health() -> HealthOut:
    try:
        with app_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except (SQLAlchemyError, RuntimeError) as error:
        logger.warning("database health check failed", extra={"error_type": type(error).__name__})
        database = "unavailable"
    return HealthOut(
        status="ok" if database == "ok" else "degraded",
        version=get_settings().version,
        database=database,
    )


def version_info() -> VersionOut:
    settings = get_settings()
    return VersionOut(
        service=settings.service_name, version=settings.version, environment=settings.environment
    )
