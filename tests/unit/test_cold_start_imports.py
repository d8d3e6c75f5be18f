"""Cold start: HTTP functions import only what their path needs; heavy clients stay lazy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from devtools.template import ROOT, functions

# botocore itself is touched by powertools (cheap); its session and clients are the heavy part.
HEAVY = ("anthropic", "qdrant_client", "boto3", "botocore.session", "aws_xray_sdk", "alembic", "psycopg")
HTTP_FUNCTIONS = [spec for spec in functions() if spec.routes]
# SnapStart functions that load their heavy clients at init on purpose: the snapshot carries them.
LOADED_AT_INIT = {"ChatFunction": ["anthropic"]}


def _imported_after(statement: str, cwd: str) -> list[str]:
    probe = (
        f"{statement}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_common_package_imports_nothing_heavy() -> None:
    assert (
        _imported_after("import chatapp, chatapp.config, chatapp.db.tenancy, chatapp.api.app", str(ROOT))
        == []
    )


@pytest.mark.parametrize("spec", HTTP_FUNCTIONS, ids=lambda s: s.logical_id)
def test_http_function_module_defers_heavy_clients(spec) -> None:
    # psycopg loads with the first connection, boto3 with the first AWS call, never at import.
    assert _imported_after("import app", str(spec.code_uri)) == LOADED_AT_INIT.get(spec.logical_id, [])
