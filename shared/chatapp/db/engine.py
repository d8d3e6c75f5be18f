"""Engines and connection pools: one per container, reused across warm invocations.

The application engine connects as the non-owner role that row-level security applies to;
the owner engine exists only for migrations and seeding.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

from chatapp.config import Settings, get_settings
from chatapp.integrations.secrets import secret_json


def _url_from_secret(secret_arn: str, settings: Settings) -> URL:
    secret = secret_json(secret_arn)
    return URL.create(
        "postgresql+psycopg",
        username=secret["username"],
        password=secret["password"],
        host=settings.database_host or secret["host"],
        port=int(secret.get("port", 5432)),
        database=secret.get("dbname") or settings.database_name,
        query={"sslmode": "require"},  # RDS Proxy is configured with RequireTLS
    )


def owner_url(settings: Settings | None = None) -> URL:
    settings = settings or get_settings()
    if settings.database_url:
        return make_url(settings.database_url)
    if settings.database_secret_arn:
        return _url_from_secret(settings.database_secret_arn, settings)
    raise RuntimeError("DATABASE_URL or DATABASE_SECRET_ARN must be set")


def app_url(settings: Settings | None = None) -> URL:
    settings = settings or get_settings()
    if settings.database_app_url:
        return make_url(settings.database_app_url)
    if settings.database_app_secret_arn:
        return _url_from_secret(settings.database_app_secret_arn, settings)
    if settings.is_local:
        # Locally the application role lives on the same server as the owner, trusted by socket.
        return owner_url(settings).set(username=settings.app_db_role, password=settings.app_db_password)
    raise RuntimeError("DATABASE_APP_URL or DATABASE_APP_SECRET_ARN must be set")


# A pooled connection idle longer than this is pinged before use: a thawed Lambda container may
# hold one the proxy closed. One busy just now is not (SQLAlchemy's pre-ping costs a round trip on
# every checkout, several per chat turn).
IDLE_BEFORE_PING_SECONDS = 10.0
_IDLE_SINCE = "idle_since"


def _create_engine(url: URL, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_use_lifo=True,  # reuse the warmest connection; idle extras can time out at the proxy
        pool_recycle=300,
        connect_args={"application_name": get_settings().service_name},
    )
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_idle(dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """SQLAlchemy's pessimistic disconnect handling, only for connections that sat idle: raising
    DisconnectionError makes the pool drop this one and check out another (or connect anew)."""
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as error:
        raise exc.DisconnectionError("pooled connection closed while idle") from error


@lru_cache(maxsize=1)
def app_engine() -> Engine:
    return _create_engine(app_url(), get_settings().db_pool_size)


@lru_cache(maxsize=1)
def owner_engine() -> Engine:
    return _create_engine(owner_url(), 1)


@lru_cache(maxsize=1)
def app_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=app_engine(), expire_on_commit=False, autoflush=True)


def dispose_engines() -> None:
    """Forget pooled connections and cached engines (tests, and after settings change)."""
    for factory in (app_engine, owner_engine):
        if factory.cache_info().currsize:
            factory().dispose()
        factory.cache_clear()
    app_sessionmaker.cache_clear()
