"""Each model module, imported alone, has every table its foreign keys name in the metadata.

A flush sorts tables by their foreign keys and fails on a table it has never seen, and a Lambda
imports only the models its code uses: the ingest worker once flushed knowledge files without the
sources table their new key names. So every module imports the modules its keys point into."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chatapp.db.models.registry import MODEL_MODULES

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
from chatapp.db.base import Base
for table in Base.metadata.tables.values():
    for key in table.foreign_keys:
        key.column  # raises NoReferencedTableError when the target table is not in the metadata
"""


def _alone(module: str) -> tuple[str, int, str]:
    result = subprocess.run(
        [sys.executable, "-c", CHECK, module],
        env={"PYTHONPATH": str(ROOT / "shared"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    return module, result.returncode, result.stderr[-600:]


def test_every_model_module_alone_resolves_its_foreign_keys() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_alone, [m.__name__ for m in MODEL_MODULES]))
    failing = [f"{module}: {error}" for module, code, error in results if code]
    assert not failing, "\n".join(failing)
