"""Builds a dependencies layer for Lambda's Python and architecture, not the build machine's.

    python layers/build_layer.py OUTPUT_DIR --requirements layers/NAME/requirements.txt

Only binary wheels are accepted, for CPython 3.12 on x86_64 Linux with glibc up to 2.34
(Amazon Linux 2023, the python3.12 runtime), so nothing compiles against this machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

PYTHON_VERSION = "3.12"
# pip matches one platform tag per --platform; list the manylinux levels Lambda's glibc 2.34 runs.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64")


def build(output: Path, requirements: Path) -> Path:
    target = output / "python"
    target.mkdir(parents=True, exist_ok=True)
    platform_args = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        *platform_args, "--python-version", PYTHON_VERSION, "--implementation", "cp",
        "--only-binary=:all:", "--upgrade", "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    # Packages' own test suites (numpy's alone is ~10 MB) never run on Lambda, and every megabyte
    # counts against the 250 MB a function and its layers may unpack to.
    for tests in [path for path in target.glob("*/**/tests") if path.is_dir()]:
        shutil.rmtree(tests, ignore_errors=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--requirements", type=Path, required=True)
    args = parser.parse_args()
    print(build(args.output, args.requirements))


if __name__ == "__main__":
    main()
