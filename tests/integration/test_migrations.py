"""Migrations build exactly the models' schema, and downgrade cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from chatapp.db.counters import COUNTER_FUNCTIONS
from chatapp.db.migrate import alembic_config, upgrade_to_head
from chatapp.db.models.registry import metadata
from devtools.embedded_db import ensure_database
from tests.conftest import OWNER_URL

CHECK_DATABASE = "buzzi_migration_check"


@pytest.fixture
def empty_database(migrated_database: str) -> Iterator[Engine]:
    ensure_database(OWNER_URL.set(database="postgres"), CHECK_DATABASE, recreate=True)
    engine = create_engine(OWNER_URL.set(database=CHECK_DATABASE))
    yield engine
    engine.dispose()


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _chatapp_objects(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        tables = connection.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'chatapp\\_%'"))
        enums = connection.scalar(text("SELECT count(*) FROM pg_type WHERE typtype = 'e'"))
        functions = connection.scalar(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'chatapp\\_%'"))
    return tables, enums, functions


def test_upgrade_on_empty_database_matches_models(empty_database: Engine) -> None:
    upgrade_to_head(empty_database)
    assert _drift(empty_database) == []
    tables, enums, functions = _chatapp_objects(empty_database)
    assert tables == len(metadata.tables)
    assert enums == 11
    # policy helpers, counters (0004), the lexical index's term-counting triggers (0015)
    assert functions == 4 + len(COUNTER_FUNCTIONS) + 2


def test_downgrade_removes_everything_and_upgrade_again_works(empty_database: Engine) -> None:
    from alembic import command

    upgrade_to_head(empty_database)
    with empty_database.begin() as connection:
        config = alembic_config(empty_database)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert _chatapp_objects(empty_database) == (0, 0, 0)
    upgrade_to_head(empty_database)
    assert _drift(empty_database) == []


def test_partial_indexes_of_the_design_exist(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        definitions = dict(
            connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'idx\\_%'")
            ).all()
        )
    assert "WHERE (deleted_at IS NULL)" in definitions["idx_conversations_company_agent_status"]
    assert "created_at DESC" in definitions["idx_messages_conversation_created"]
    assert "WHERE (status = ANY" in definitions["idx_subscriptions_company_active"]
    assert "WHERE (status = 'active'" in definitions["idx_subscriptions_expires_soon"]
    assert "WHERE (status = 'pending'" in definitions["idx_knowledge_files_pending"]
    assert "created_at DESC" in definitions["idx_audit_logs_company_created"]


def test_timestamps_are_timezone_aware(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        naive = connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_name LIKE 'chatapp\\_%' AND data_type = 'timestamp without time zone'"
            )
        ).all()
    assert naive == []
