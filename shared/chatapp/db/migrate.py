"""Run Alembic migrations programmatically (the migrate function, the local stack, tests)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from chatapp.db.engine import owner_engine

_REPO_MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def migrations_dir() -> Path:
    """MIGRATIONS_DIR when set (the deployed migrate function), else the repository's folder."""
    configured = os.environ.get("MIGRATIONS_DIR")
    return Path(configured) if configured else _REPO_MIGRATIONS


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine | None = None) -> None:
    engine = engine or owner_engine()
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = engine or owner_engine()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
