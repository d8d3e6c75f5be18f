"""The committed retrieval evaluation set stays valid (exact snippets, unique answers, enough traps)."""

from __future__ import annotations

import subprocess
import sys

from devtools.template import ROOT


def test_evaluation_set_validates() -> None:
    script = ROOT / "tests" / "fixtures" / "retrieval_eval" / "validate.py"
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
