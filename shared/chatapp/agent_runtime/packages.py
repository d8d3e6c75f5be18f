"""Loads an agent package's entry point: fetch the zip, verify its hash, extract it safely, import it.

The hash is checked against the bytes before anything is extracted or imported, so only the code
the platform published can run. Extracted packages live in `<tmp>/buzzi-packages/<sha256>/`; a
directory appears under that name only by an atomic rename after verification and a safe
extraction, so finding it is as good as verifying again (and concurrent loads cannot see half a
package). Each package is imported as its own top-level package, `buzzi_package_<hash prefix>`:
two versions coexist in one process, and modules inside a package import each other relatively
(`from .prompts import SYSTEM`), since the package root is never put on `sys.path`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import io
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, NamedTuple
from urllib.parse import unquote, urlparse

from chatapp.config import get_settings
from chatapp.integrations.aws import client
from chatapp.security import same_text

DEFAULT_ENTRY_POINT = "agent:respond"
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
ENTRY_POINT_PATTERN = rf"^{_IDENTIFIER}(?:\.{_IDENTIFIER})*:{_IDENTIFIER}$"
_ENTRY_POINT = re.compile(ENTRY_POINT_PATTERN)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

MAX_ARCHIVE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_FILES = 1000
MODULE_PREFIX = "buzzi_package_"
CACHE_ROOT = Path(tempfile.gettempdir()) / "buzzi-packages"

# Fixed metadata makes a build depend on file names and contents only. Entries are stored, not
# deflated: compressed bytes differ between zlib builds, and packages are small source files.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16


class PackageError(Exception):
    """The package could not be fetched, unpacked or imported."""


class PackageIntegrityError(PackageError):
    """The fetched bytes are not the package that was published."""


class UnsafePackage(PackageError):
    """The archive is malformed, or could escape its directory or exhaust the disk."""


class EntryPoint(NamedTuple):
    module: str
    attribute: str


_lock = threading.Lock()
_loaded: dict[tuple[str, str], Callable[..., Any]] = {}
_streaming: dict[tuple[str, str], Callable[..., Any] | None] = {}
STREAM_SUFFIX = "_stream"  # interface version 2: the optional streaming twin of the entry point


def parse_entry_point(entry_point: str) -> EntryPoint:
    if not _ENTRY_POINT.match(entry_point):
        raise PackageError(f"Entry point {entry_point!r} is not 'module:callable'.")
    module, _, attribute = entry_point.partition(":")
    return EntryPoint(module, attribute)


def entry_module_paths(entry_point: str) -> tuple[str, str]:
    """The two archive paths that can hold the entry point's module: `a/b.py` or `a/b/__init__.py`."""
    base = parse_entry_point(entry_point).module.replace(".", "/")
    return f"{base}.py", f"{base}/__init__.py"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_entry_point(package_url: str, package_hash: str, entry_point: str) -> Callable[..., Any]:
    """The package's callable, loaded once per process and verified against `package_hash`."""
    target = parse_entry_point(entry_point)
    expected = package_hash.strip().lower()
    if not _SHA256.match(expected):
        raise PackageIntegrityError(f"Package {package_url} has no valid SHA-256 to verify it against.")
    key = (expected, entry_point)
    with _lock:
        cached = _loaded.get(key)
        if cached is not None:
            return cached
        # Held while fetching too: cold loads are rare, and one download per package is the point.
        directory = _extracted(package_url, expected)
        module = _import_package(package_url, directory, expected, target.module)
        function = getattr(module, target.attribute, None)
        if not callable(function):
            raise PackageError(f"Package {package_url} has no callable {entry_point!r}.")
        _loaded[key] = function
        streaming = getattr(module, f"{target.attribute}{STREAM_SUFFIX}", None)
        _streaming[key] = streaming if callable(streaming) else None
        return function


def load_stream_entry_point(
    package_url: str, package_hash: str, entry_point: str
) -> Callable[..., Any] | None:
    """The entry point's streaming twin (`respond` -> `respond_stream`), if the package has one."""
    load_entry_point(package_url, package_hash, entry_point)
    return _streaming.get((package_hash.strip().lower(), entry_point))


def clear_cache() -> None:
    """Forget loaded packages and their modules (tests); extracted directories stay on disk."""
    with _lock:
        _loaded.clear()
        _streaming.clear()
        for name in [n for n in sys.modules if n.startswith(MODULE_PREFIX)]:
            del sys.modules[name]
        importlib.invalidate_caches()


def check_package_url(package_url: str, *, bucket: str, local: bool) -> str:
    """The URL, if the runtime may fetch a package from it: an object in the agent packages bucket,
    or in local development and tests a `file://` path. Anything else is a PackageError: the
    runtime reads no other bucket its role could reach, and fetches nothing over the network."""
    parsed = urlparse(package_url)
    if parsed.scheme == "s3" and parsed.netloc == bucket and parsed.path.strip("/"):
        return package_url
    if parsed.scheme == "file" and parsed.path and not parsed.netloc and local:
        return package_url
    raise PackageError(
        f"Package URL {package_url} is not allowed: packages load from s3://{bucket}/"
        + (" or file:// paths." if local else ".")
    )


def fetch(package_url: str) -> bytes:
    """The zip's bytes from `s3://<packages bucket>/key` or `file:///path` (local development and tests)."""
    settings = get_settings()
    check_package_url(package_url, bucket=settings.agent_packages_bucket, local=settings.is_local)
    parsed = urlparse(package_url)
    if parsed.scheme == "s3" and parsed.netloc and parsed.path.strip("/"):
        body = client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"]
        data: bytes = body.read(MAX_ARCHIVE_BYTES + 1)
    elif parsed.scheme == "file" and parsed.path:
        with Path(unquote(parsed.path)).open("rb") as handle:
            data = handle.read(MAX_ARCHIVE_BYTES + 1)
    else:
        raise PackageError(f"Package URL {package_url} is neither s3:// nor file://.")
    if len(data) > MAX_ARCHIVE_BYTES:
        raise UnsafePackage(f"Package {package_url} is larger than {MAX_ARCHIVE_BYTES} bytes.")
    return data


def verify(package_url: str, data: bytes, package_hash: str) -> None:
    if not same_text(sha256_hex(data), package_hash.strip().lower()):
        raise PackageIntegrityError(
            f"Package {package_url} was refused: its SHA-256 did not match the published hash."
        )


def check_archive(data: bytes) -> list[zipfile.ZipInfo]:
    """The archive's entries, if every one is safe to extract: relative paths inside the root, no
    links or devices, within the file-count and size caps. Reads the directory, not the contents."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as error:
        raise UnsafePackage("The package is not a readable zip archive.") from error
    if len(members) > MAX_FILES:
        raise UnsafePackage(f"The package holds more than {MAX_FILES} entries.")
    # Declared sizes bind: zipfile never returns more than an entry declares and fails on its CRC.
    if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
        raise UnsafePackage(f"The package unpacks to more than {MAX_UNCOMPRESSED_BYTES} bytes.")
    seen: set[str] = set()
    for member in members:
        _check_member(member)
        name = member.filename.rstrip("/")
        if name in seen:
            raise UnsafePackage(f"The package holds {name!r} twice.")
        seen.add(name)
    return members


def _check_member(member: zipfile.ZipInfo) -> None:
    name = member.filename
    path = PurePosixPath(name)
    if not name or "\\" in name or "\0" in name or path.is_absolute() or ":" in path.parts[0]:
        raise UnsafePackage(f"The package entry {name!r} is not a relative path.")
    if ".." in path.parts:
        raise UnsafePackage(f"The package entry {name!r} points outside the package.")
    if member.flag_bits & 0x1:
        raise UnsafePackage(f"The package entry {name!r} is encrypted.")
    kind = stat.S_IFMT(member.external_attr >> 16)
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        raise UnsafePackage(f"The package entry {name!r} is a link or special file.")


def build_package_zip(source_dir: Path) -> bytes:
    """A reproducible zip of `source_dir`: the same files always give the same bytes (and hash)."""
    files = sorted(
        (path for path in source_dir.rglob("*") if path.is_file() and not _is_build_output(path)),
        key=lambda path: path.relative_to(source_dir).as_posix(),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), date_time=_EPOCH)
            info.external_attr = _FILE_MODE
            info.create_system = 3  # Unix, whichever system builds it
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _is_build_output(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def _extracted(package_url: str, package_hash: str) -> Path:
    _prepare_cache_root()
    directory = CACHE_ROOT / package_hash
    if directory.is_dir():
        return directory
    data = fetch(package_url)
    verify(package_url, data, package_hash)
    members = check_archive(data)
    staging = Path(tempfile.mkdtemp(prefix=f".{package_hash}-", dir=CACHE_ROOT))
    try:
        _extract(data, members, staging)
        try:
            staging.rename(directory)
        except OSError:
            if not directory.is_dir():
                raise
            # Another process extracted the same verified bytes first; its copy is identical.
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _prepare_cache_root() -> None:
    """Directories here are imported unverified, so nobody else may be able to plant one."""
    CACHE_ROOT.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = CACHE_ROOT.stat()
    if status.st_uid != os.getuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise PackageError(f"The package cache {CACHE_ROOT} is writable by other users; refusing it.")


def _extract(data: bytes, members: list[zipfile.ZipInfo], destination: Path) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in members:
                target = destination / member.filename
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
    except zipfile.BadZipFile as error:
        raise UnsafePackage("The package archive is corrupt.") from error
    except OSError as error:
        raise PackageError(f"The package could not be unpacked ({type(error).__name__}).") from error


def _import_package(package_url: str, directory: Path, package_hash: str, module: str) -> ModuleType:
    root_name = MODULE_PREFIX + package_hash[:16]
    try:
        if root_name not in sys.modules:
            _import_root(root_name, directory)
        return importlib.import_module(f"{root_name}.{module}")
    except PackageError:
        raise
    except Exception as error:
        raise PackageError(
            f"Package {package_url} failed to import {module!r} ({type(error).__name__})."
        ) from error


def _import_root(name: str, directory: Path) -> None:
    init = directory / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(directory)])
    else:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(directory)]
    if spec is None:
        raise PackageError(f"Cannot import the package in {directory}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        if spec.loader is not None:
            spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
