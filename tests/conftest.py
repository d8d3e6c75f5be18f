"""Test environment: a real embedded PostgreSQL (its own data directory, separate from `./run dev`),
a fresh database migrated to head for each run, and the application role with RLS on.

The environment is configured at import, before any chatapp module reads its settings.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.orm import Session

from devtools.embedded_db import ensure_database
from devtools.fake_dns import FakeDns
from devtools.fake_platforms import FakePlatforms
from devtools.local_env import configure

OWNER_URL = make_url(configure("test"))
# The embedded vector engine is owned by one process: each test run gets its own directory.
os.environ.setdefault("QDRANT_PATH", tempfile.mkdtemp(prefix="buzzi-test-qdrant-"))
# All the tests' widget traffic comes from 127.0.0.1. A per-IP limit meant for one visitor would make
# a test pass or fail by how many others ran in the same minute; the test of that limit sets its own.
os.environ.setdefault("WIDGET_RATE_PER_IP", "1000000")


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


@pytest.fixture(scope="session")
def tenants(owner_engine: Engine) -> Tenants:
    """Companies A and B, seeded once per run: the fixture the isolation and attack tests share."""
    from chatapp.db.enums import UserRole
    from chatapp.db.models.core import User

    with Session(owner_engine) as db, db.begin():
        plan_id = create_platform_rows(db)
        a = create_company(db, "A", plan_id)
        b = create_company(db, "B", plan_id)
        master = User(email=f"owner-{uuid.uuid4().hex[:6]}@buzzi.example", role=UserRole.MASTER_ADMIN)
        db.add(master)
        db.flush()
        tenants = Tenants(
            a=a, b=b, master_admin_id=master.id, master_admin_token=_session_token(db, master.id)
        )
    return tenants


@pytest.fixture
def owner_session(owner_engine: Engine) -> Iterator[Session]:
    with Session(owner_engine) as db:
        yield db


@pytest.fixture
def platforms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatforms]:
    """The messaging platforms' APIs on loopback (devtools/fake_platforms.py), with the settings
    pointing at them. Register the credentials a test uses: the fake rejects unknown ones."""
    from chatapp.config import get_settings

    fake = FakePlatforms().start()
    for key, value in fake.environment().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield fake
    fake.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def fake_dns() -> Iterator[FakeDns]:
    """The application's resolver pointed at a loopback DNS server the test fills with TXT records."""
    from chatapp.config import get_settings

    with FakeDns() as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNS_NAMESERVERS", server.nameserver)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def mail_sender(request: pytest.FixtureRequest) -> str:
    """The platform's sender address, verified with (moto's) SES so that mail can go out."""
    import boto3

    request.getfixturevalue("local_aws")
    from chatapp.config import get_settings

    sender = get_settings().email_from
    boto3.client("ses").verify_email_identity(EmailAddress=sender)
    return sender


@pytest.fixture
def api(migrated_database: str) -> Any:
    """Calls the real handlers through the template's routes, as the local runner does."""
    from tests.integration.http import ApiClient

    return ApiClient()


# The real AWS stand-ins (moto S3/SQS with the template's resources), one per test session: the
# integration and browser tests share them (two would split S3 and SQS between two moto servers).
from tests.integration.stack import local_aws  # noqa: E402, F401
from tests.integration.tenant_data import (  # noqa: E402
    Tenants,
    _session_token,
    create_company,
    create_platform_rows,
)
