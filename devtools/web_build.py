"""`./run build-web [widget|console]`: builds the front-end projects under `web/` into their committed
`dist/` folders.

Running Buzzi and its tests needs no Node.js: the built files are committed, and each build records
a hash of the sources it was built from in `dist/build-info.json`. `tests/unit/test_web_assets.py`
recomputes that hash in Python, so a source change without a rebuild fails the tests.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
WIDGET_GZIP_LIMIT = 15 * 1024  # bytes: the widget loads on every page of a company's site
BUILD_INFO = "build-info.json"
# Top-level files that shape a build, besides everything under the source folders.
_CONFIG_FILES = ("index.html", "package.json", "package-lock.json", ".npmrc", "build.mjs")
_CONFIG_GLOBS = ("tsconfig*.json", "vite.config.*")
_SOURCE_DIRS = ("src", "public")
_LOCK_STAMP = ".buzzi-lock.sha256"  # inside node_modules: which lockfile it was installed from


@dataclass(frozen=True)
class Project:
    name: str
    entry: str  # the built file that must exist in dist/ (served by the local runner)

    @property
    def path(self) -> Path:
        return WEB / self.name

    @property
    def dist(self) -> Path:
        return self.path / "dist"


PROJECTS = {"widget": Project("widget", "widget.js"), "console": Project("console", "index.html")}


def source_files(project: Project) -> list[Path]:
    """The files a build depends on, in a stable order."""
    found = {project.path / name for name in _CONFIG_FILES if (project.path / name).is_file()}
    for pattern in _CONFIG_GLOBS:
        found.update(p for p in project.path.glob(pattern) if p.is_file())
    for folder in _SOURCE_DIRS:
        found.update(p for p in (project.path / folder).rglob("*") if p.is_file())
    return sorted(found, key=lambda p: p.relative_to(project.path).as_posix())


def sources_sha256(project: Project) -> str:
    """One digest over the sources' relative paths and contents (line endings as committed)."""
    digest = hashlib.sha256()
    for path in source_files(project):
        digest.update(path.relative_to(project.path).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return digest.hexdigest()


def recorded_sha256(project: Project) -> str | None:
    info = project.dist / BUILD_INFO
    if not info.is_file():
        return None
    value = json.loads(info.read_text()).get("sources_sha256")
    return value if isinstance(value, str) else None


def gzipped_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise SystemExit(
            "Building the front-end needs Node.js 20+ and npm (running Buzzi and its tests does not: "
            "the built files are committed)."
        )
    return npm


def _install(project: Project, npm: str) -> None:
    """`npm ci` when node_modules is missing or was installed from another lockfile."""
    lock = project.path / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = project.path / "node_modules" / _LOCK_STAMP
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return
    print(f"» npm ci in web/{project.name}", file=sys.stderr, flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=project.path, check=True)
    stamp.write_text(wanted)


def build(project: Project) -> None:
    npm = _npm()
    _install(project, npm)
    print(f"» npm run build in web/{project.name}", file=sys.stderr, flush=True)
    subprocess.run([npm, "run", "build"], cwd=project.path, check=True)
    entry = project.dist / project.entry
    if not entry.is_file():
        raise SystemExit(f"the build did not produce web/{project.name}/dist/{project.entry}")
    info = {"sources_sha256": sources_sha256(project)}
    (project.dist / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    if project.name == "widget":
        size, packed = entry.stat().st_size, gzipped_size(entry)
        verdict = "within" if packed <= WIDGET_GZIP_LIMIT else "OVER"
        print(
            f"✓ web/widget/dist/widget.js: {size:,} bytes, {packed:,} bytes gzipped "
            f"({packed / 1024:.1f} KB; {verdict} the {WIDGET_GZIP_LIMIT // 1024} KB target)",
            flush=True,
        )
        if packed > WIDGET_GZIP_LIMIT:
            raise SystemExit("the widget is over its size target")
    else:
        files = sum(1 for p in project.dist.rglob("*") if p.is_file())
        print(f"✓ web/{project.name}/dist: {files} files", flush=True)


def main(args: list[str]) -> int:
    names = args or [name for name in PROJECTS if PROJECTS[name].path.is_dir()]
    unknown = [name for name in names if name not in PROJECTS]
    if unknown:
        print(f"usage: ./run build-web [{'|'.join(PROJECTS)}]")
        return 2
    for name in names:
        build(PROJECTS[name])
    return 0
