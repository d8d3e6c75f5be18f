"""Knowledge tests run the real pipeline (see tests/integration/stack.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.integration.knowledge.sources import queues  # noqa: F401 - the crawl and ingest queues
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant


@pytest.fixture
def tenant(owner_engine: Engine, local_aws: LocalAws) -> KnowledgeTenant:
    return new_tenant(owner_engine, "K")


@pytest.fixture
def other_tenant(owner_engine: Engine, local_aws: LocalAws) -> KnowledgeTenant:
    return new_tenant(owner_engine, "L")


__all__ = ["KnowledgeTenant", "LocalAws"]
