"""The dependencies layer is built for Lambda (CPython 3.12, manylinux x86_64), not for this machine."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.template import ROOT

BUILD_SCRIPT = ROOT / "layers" / "build_layer.py"
# Amazon Linux 2023 (python3.12) ships glibc 2.34.
MAX_GLIBC = (2, 34)


def _acceptable(tag: str) -> bool:
    python, abi, platform = tag.split("-")
    if platform == "any":
        return python.startswith("py") or python == "cp312"
    # abi3 wheels built for an earlier CPython 3 (e.g. cryptography's cp311-abi3) load on 3.12 too.
    stable_abi = abi == "abi3" and python.startswith("cp3") and int(python[3:]) <= 12
    if not (python == "cp312" and abi == "cp312") and not stable_abi:
        return False
    legacy = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12), "manylinux2014_x86_64": (2, 17)}
    if platform in legacy:
        return legacy[platform] <= MAX_GLIBC
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    return bool(match) and (int(match[1]), int(match[2])) <= MAX_GLIBC


LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # function code and all its layers together


def _build(name: str, output: Path) -> Path:
    requirements = ROOT / "layers" / name / "requirements.txt"
    subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), str(output), "--requirements", str(requirements)], check=True
    )
    return output


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.fixture(scope="module")
def dependencies_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once for both tests that read it (a build takes about 15 s)."""
    return _build("dependencies", tmp_path_factory.mktemp("dependencies"))


@pytest.mark.slow
def test_layers_fit_lambdas_size_limit_together(tmp_path: Path, dependencies_layer: Path) -> None:
    dependencies = dependencies_layer
    retrieval = _build("retrieval", tmp_path / "retrieval")
    conversation = _build("conversation", tmp_path / "conversation")  # the chat function carries all three
    total = _size(dependencies) + _size(retrieval) + _size(conversation) + _size(ROOT / "shared" / "chatapp")
    assert total < LAMBDA_UNZIPPED_LIMIT - 10 * 1024 * 1024, f"{total / 1024 / 1024:.0f} MB"


@pytest.mark.slow
def test_dependencies_layer_wheels_target_lambda(dependencies_layer: Path) -> None:
    wheels = list((dependencies_layer / "python").glob("*.dist-info/WHEEL"))
    assert len(wheels) > 20
    tags = {
        line.split(":", 1)[1].strip()
        for wheel in wheels
        for line in wheel.read_text().splitlines()
        if line.startswith("Tag:")
    }
    assert tags and all(_acceptable(tag) for tag in tags), sorted(t for t in tags if not _acceptable(t))
    assert any(tag.startswith("cp312-cp312-manylinux") for tag in tags), "compiled wheels must be for cp312"
    compiled = list((dependencies_layer / "python").rglob("*.so"))
    assert compiled and not any("cpython-311" in path.name for path in compiled)
    python = dependencies_layer / "python"
    assert (python / "fastapi").is_dir() and (python / "psycopg_binary").is_dir()


def test_the_tag_check_rejects_this_machines_wheels() -> None:
    assert not _acceptable("cp311-cp311-manylinux_2_17_x86_64")
    assert not _acceptable("cp312-cp312-manylinux_2_39_x86_64")
    assert not _acceptable("cp312-cp312-macosx_11_0_arm64")
    assert _acceptable("py3-none-any") and _acceptable("cp312-cp312-manylinux2014_x86_64")
