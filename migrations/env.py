"""Alembic environment: runs as the table owner, with metadata taken from the models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from chatapp.db.engine import owner_engine
from chatapp.db.models.registry import metadata

COMPARE_OPTIONS = {"compare_type": True, "compare_server_default": False}


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, **COMPARE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported: run against a database")

connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    with owner_engine().connect() as owner_connection:
        run_migrations(owner_connection)
