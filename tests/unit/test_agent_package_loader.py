"""The package loader runs only verified code, extracts safely and loads each package once."""

from __future__ import annotations

import hashlib
import io
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.agent_runtime import packages
from chatapp.agent_runtime.packages import (
    PackageError,
    PackageIntegrityError,
    UnsafePackage,
    build_package_zip,
    load_entry_point,
)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cache = tmp_path / "cache"
    monkeypatch.setattr(packages, "CACHE_ROOT", cache)
    packages.clear_cache()
    yield cache
    packages.clear_cache()


def write_package(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


def publish(source: Path, destination: Path) -> tuple[str, str]:
    """Zip `source` to `destination`: (file URL, sha256)."""
    data = build_package_zip(source)
    destination.write_bytes(data)
    return destination.as_uri(), hashlib.sha256(data).hexdigest()


def raw_zip(path: Path, entries: dict[str, str]) -> tuple[str, str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    path.write_bytes(buffer.getvalue())
    return path.as_uri(), hashlib.sha256(buffer.getvalue()).hexdigest()


def test_the_same_source_always_builds_the_same_zip(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg", {"agent.py": "def respond(t, r):\n    return 1\n", "b/c.py": ""})
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "agent.cpython-311.pyc").write_bytes(b"\0compiled")
    (source / "stale.pyc").write_bytes(b"\0")
    first = build_package_zip(source)
    (source / "agent.py").touch()  # a new mtime must not change the build
    assert build_package_zip(source) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == ["agent.py", "b/c.py"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_loads_and_calls_a_package_from_a_file_url(tmp_path: Path, isolated_cache: Path) -> None:
    source = write_package(
        tmp_path / "pkg", {"agent.py": "def respond(turn, runtime):\n    return turn * 2\n"}
    )
    url, digest = publish(source, tmp_path / "pkg.zip")
    respond = load_entry_point(url, digest, "agent:respond")
    assert respond(21, None) == 42
    assert respond.__module__ == f"buzzi_package_{digest[:16]}.agent"
    assert (isolated_cache / digest / "agent.py").is_file()


def test_a_hash_mismatch_is_refused_before_anything_is_extracted_or_imported(
    tmp_path: Path, isolated_cache: Path
) -> None:
    marker = tmp_path / "imported"
    source = write_package(
        tmp_path / "pkg",
        {"agent.py": f"open({str(marker)!r}, 'w').close()\ndef respond(t, r):\n    return 'evil'\n"},
    )
    url, _ = publish(source, tmp_path / "pkg.zip")
    claimed = hashlib.sha256(b"the package that was published").hexdigest()
    with pytest.raises(PackageIntegrityError) as refused:
        load_entry_point(url, claimed, "agent:respond")
    assert url in str(refused.value) and "did not match" in str(refused.value)
    assert "evil" not in str(refused.value)
    assert not marker.exists()
    assert not (isolated_cache / claimed).exists()
    assert not any(name.startswith("buzzi_package_") for name in sys.modules)


@pytest.mark.parametrize(
    "entry",
    ["../evil.py", "/etc/evil.py", "pkg/../../evil.py", "C:/evil.py", "a\\..\\evil.py"],
)
def test_entries_that_escape_the_package_are_refused(
    tmp_path: Path, isolated_cache: Path, entry: str
) -> None:
    url, digest = raw_zip(tmp_path / "slip.zip", {"agent.py": "def respond(t, r): ...\n", entry: "x = 1\n"})
    with pytest.raises(UnsafePackage):
        load_entry_point(url, digest, "agent:respond")
    assert not (tmp_path / "evil.py").exists()
    assert not (isolated_cache / digest).exists()


def test_symlinks_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("agent.py", "def respond(t, r): ...\n")
        link = zipfile.ZipInfo("secrets.py")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UnsafePackage, match="link"):
        packages.check_archive(buffer.getvalue())


def test_zip_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agent.py", "def respond(t, r): ...\n")
        archive.writestr("padding.txt", b"\0" * (2 * 1024 * 1024))
    monkeypatch.setattr(packages, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    with pytest.raises(UnsafePackage, match="unpacks to more than"):
        packages.check_archive(buffer.getvalue())
    monkeypatch.setattr(packages, "MAX_FILES", 1)
    with pytest.raises(UnsafePackage, match="more than 1 entries"):
        packages.check_archive(buffer.getvalue())


def test_a_warm_process_loads_a_package_once(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg", {"agent.py": "def respond(t, r):\n    return 'hi'\n"})
    url, digest = publish(source, tmp_path / "pkg.zip")
    first = load_entry_point(url, digest, "agent:respond")
    (tmp_path / "pkg.zip").unlink()
    assert load_entry_point(url, digest, "agent:respond") is first


def test_an_extracted_package_is_reused_by_a_new_process(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg", {"agent.py": "def respond(t, r):\n    return 'hi'\n"})
    url, digest = publish(source, tmp_path / "pkg.zip")
    load_entry_point(url, digest, "agent:respond")
    packages.clear_cache()  # as a fresh process on the same Lambda container would start
    (tmp_path / "pkg.zip").unlink()
    assert load_entry_point(url, digest, "agent:respond")(None, None) == "hi"


def test_two_versions_of_a_package_coexist(tmp_path: Path) -> None:
    old_url, old_hash = publish(
        write_package(tmp_path / "v1", {"agent.py": "def respond(t, r):\n    return 'v1'\n"}),
        tmp_path / "v1.zip",
    )
    new_url, new_hash = publish(
        write_package(tmp_path / "v2", {"agent.py": "def respond(t, r):\n    return 'v2'\n"}),
        tmp_path / "v2.zip",
    )
    old = load_entry_point(old_url, old_hash, "agent:respond")
    new = load_entry_point(new_url, new_hash, "agent:respond")
    assert (old(None, None), new(None, None)) == ("v1", "v2")


def test_modules_inside_a_package_import_each_other_relatively(tmp_path: Path) -> None:
    source = write_package(
        tmp_path / "pkg",
        {
            "agent.py": "from .prompts import greeting\n\ndef respond(t, r):\n    return greeting(t)\n",
            "prompts.py": "def greeting(name):\n    return f'Hello, {name}'\n",
            "tools/__init__.py": "from .search import NAME\n",
            "tools/search.py": "NAME = 'search'\n",
            "tools/entry.py": "from . import NAME\nfrom ..prompts import greeting\n\ndef run(t, r):\n"
            "    return greeting(NAME)\n",
        },
    )
    url, digest = publish(source, tmp_path / "pkg.zip")
    assert load_entry_point(url, digest, "agent:respond")("Ada", None) == "Hello, Ada"
    assert load_entry_point(url, digest, "tools.entry:run")(None, None) == "Hello, search"


@pytest.mark.parametrize("entry_point", ["agent", "agent:", "agent:respond()", "../agent:respond", "a-b:c"])
def test_entry_points_must_be_module_colon_callable(tmp_path: Path, entry_point: str) -> None:
    with pytest.raises(PackageError, match="module:callable"):
        load_entry_point((tmp_path / "x.zip").as_uri(), "0" * 64, entry_point)


def test_a_missing_callable_or_module_is_a_package_error(tmp_path: Path) -> None:
    source = write_package(tmp_path / "pkg", {"agent.py": "ANSWER = 42\n"})
    url, digest = publish(source, tmp_path / "pkg.zip")
    with pytest.raises(PackageError, match="no callable"):
        load_entry_point(url, digest, "agent:respond")
    with pytest.raises(PackageError, match="failed to import 'missing'"):
        load_entry_point(url, digest, "missing:respond")
