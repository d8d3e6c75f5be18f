"""Test environment: a real embedded PostgreSQL (its own data directory, separate from `./run dev`),
a fresh database migrated to head for each run, and the application role with RLS on.

The environment is configured at import, before any chatapp module reads its settings.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url

from devtools.embedded_db import ensure_database
from devtools.local_env import configure

OWNER_URL = make_url(configure("test"))
# The embedded vector engine is owned by one process: each test run gets its own directory.
os.environ.setdefault("QDRANT_PATH", tempfile.mkdtemp(prefix="buzzi-test-qdrant-"))


@pytest.fixture(scope="session")
def migrated_database() -> str:
    """Recreate the test database and migrate it. Only for an embedded or throwaway server."""
    if os.environ.get("BUZZI_TEST_KEEP_DATABASE") != "1":
        ensure_database(OWNER_URL.set(database="postgres"), OWNER_URL.database or "", recreate=True)
    from chatapp.db.engine import dispose_engines
    from chatapp.db.migrate import upgrade_to_head

    dispose_engines()
    upgrade_to_head()
    return OWNER_URL.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def owner_engine(migrated_database: str) -> Iterator[Engine]:
    """The table owner (a superuser locally): sets up fixtures and inspects, bypassing RLS."""
    engine = create_engine(migrated_database)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_engine(migrated_database: str) -> Engine:
    """The engine the application itself uses: the non-owner role, RLS applies."""
    from chatapp.db.engine import app_engine as application_engine

    return application_engine()


# The real AWS stand-ins (moto S3/SQS with the template's resources), one per test session: the
# integration and browser tests share them (two would split S3 and SQS between two moto servers).
from tests.integration.stack import local_aws  # noqa: E402, F401
