"""Prepares the process environment for the local stack and the tests.

Without DATABASE_URL an embedded PostgreSQL cluster is started (dev and test use separate
data directories so both can run at once); with it, that server is used instead.
Everything is set before `chatapp.config.get_settings()` first runs.
"""

from __future__ import annotations

import os
from typing import Literal

from devtools.embedded_db import server_url

Profile = Literal["dev", "test"]

_DATABASE_NAMES = {"dev": "buzzi", "test": "buzzi_test"}


def configure(profile: Profile) -> str:
    """Set environment defaults for `profile`; returns the owner database URL."""
    defaults = {
        "ENVIRONMENT": "development" if profile == "dev" else "test",
        "POWERTOOLS_SERVICE_NAME": "buzzi",
        "POWERTOOLS_LOG_LEVEL": "INFO" if profile == "dev" else "WARNING",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        # Tests ask for many sign-in links: a shorter floor keeps them quick while still tested.
        **({"SIGNIN_RESPONSE_FLOOR_MS": "100"} if profile == "test" else {}),
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    if not os.environ.get("DATABASE_URL"):
        # BUZZI_TEST_DATABASE lets two test runs share the embedded server without sharing a database.
        name = os.environ.get("BUZZI_TEST_DATABASE") if profile == "test" else None
        url = server_url(profile, name or _DATABASE_NAMES[profile])
        os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    return os.environ["DATABASE_URL"]
