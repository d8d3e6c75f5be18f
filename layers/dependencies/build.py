"""Builds the dependencies layer for Lambda's Python and architecture, not the build machine's.

    python layers/dependencies/build.py OUTPUT_DIR [--python-version 3.12] [--platform manylinux2014_x86_64]

Only binary wheels are accepted, so nothing compiles against the build machine's libraries.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(output: Path, python_version: str, platform: str, requirements: Path) -> Path:
    target = output / "python"
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--platform",
            platform,
            "--python-version",
            python_version,
            "--implementation",
            "cp",
            "--only-binary=:all:",
            "--upgrade",
            "--target",
            str(target),
            "-r",
            str(requirements),
        ],
        check=True,
    )
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--platform", default="manylinux2014_x86_64")
    parser.add_argument("--requirements", type=Path, default=HERE / "requirements.txt")
    args = parser.parse_args()
    print(build(args.output, args.python_version, args.platform, args.requirements))


if __name__ == "__main__":
    main()
