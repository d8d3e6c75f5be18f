"""Imports every model module so `Base.metadata` holds the whole schema (migrations, tests)."""

from __future__ import annotations

from chatapp.db.base import Base
from chatapp.db.models import (
    agents,
    analytics,
    audit,
    billing,
    channels,
    content_gaps,
    conversations,
    copilot,
    core,
    knowledge,
    realtime,
    team,
    test_runs,
)

MODEL_MODULES = (
    core,
    agents,
    conversations,
    knowledge,
    billing,
    channels,
    analytics,
    audit,
    realtime,
    team,
    test_runs,
    content_gaps,
    copilot,
)
metadata = Base.metadata
