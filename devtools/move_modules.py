"""Move modules of `chatapp` to new homes and rewrite every import of them (issue #16's regrouping).

    python -m devtools.move_modules chatapp.billing.plans=chatapp.billing.plans [...]

Each move is a `git mv` (so history follows the file), then every Python file in the repository
has its imports rewritten: `from chatapp.services import plans, usage` is split by destination,
`from chatapp.billing.plans import x` gets the new path, and a renamed module's uses in that file
(`chat_turns.answer` -> `turns.answer`) follow. Dotted and slashed paths in strings and docs
(`chatapp.billing.plans`, `chatapp/billing/plans.py`) are rewritten too. Ruff then sorts the
imports. It writes no re-export shims: a move is finished when the tests pass.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = ROOT / "shared"
SOURCES = ("shared", "functions", "tests", "scripts", "devtools", "layers", "migrations")
TEXTS = ("docs", "README.md", "template.yaml", "shared", "functions", "tests", "scripts", "devtools")


def _path_of(module: str) -> Path:
    return PACKAGE_ROOT / (module.replace(".", "/") + ".py")


def _parent(module: str) -> tuple[str, str]:
    parent, _, name = module.rpartition(".")
    return parent, name


def _move_files(moves: dict[str, str]) -> None:
    for old, new in moves.items():
        source, target = _path_of(old), _path_of(new)
        if not source.exists():
            source = source.with_suffix("") / "__init__.py"
            if not source.exists():
                raise SystemExit(f"no module {old}")
            source, target = source.parent, target.with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        package = target.parent
        while package != PACKAGE_ROOT and not (package / "__init__.py").exists():
            (package / "__init__.py").write_text("")
            subprocess.run(["git", "add", str(package / "__init__.py")], cwd=ROOT, check=True)
            package = package.parent
        subprocess.run(["git", "mv", str(source), str(target)], cwd=ROOT, check=True)


def _rewrite_imports(source: str, moves: dict[str, str]) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    by_parent: dict[str, dict[str, str]] = {}
    for old, new in moves.items():
        parent, name = _parent(old)
        by_parent.setdefault(parent, {})[name] = new
    renamed_locals: dict[str, str] = {}
    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or node.module not in by_parent:
            continue
        moved_here = by_parent[node.module]
        if not any(alias.name in moved_here for alias in node.names):
            continue
        groups: dict[str, list[str]] = {}
        for alias in node.names:
            if alias.name in moved_here:
                new_parent, new_name = _parent(moved_here[alias.name])
                asname = alias.asname
                if asname is None and new_name != alias.name:
                    if re.search(rf"(?<![\w.]){re.escape(new_name)}\b", source):
                        asname = alias.name  # the new name is taken here: keep the old one locally
                    else:
                        renamed_locals[alias.name] = new_name
                local = f" as {asname}" if asname else ""
                groups.setdefault(new_parent, []).append(f"{new_name}{local}")
            else:
                local = f" as {alias.asname}" if alias.asname else ""
                groups.setdefault(node.module, []).append(f"{alias.name}{local}")
        indent = re.match(r"\s*", lines[node.lineno - 1]).group()  # type: ignore[union-attr]
        text = "".join(
            f"{indent}from {parent} import {', '.join(names)}\n" for parent, names in groups.items()
        )
        edits.append((node.lineno - 1, node.end_lineno or node.lineno, text))
    for start, end, text in sorted(edits, reverse=True):
        lines[start:end] = [text]
    rewritten = "".join(lines)
    for old_local, new_local in renamed_locals.items():
        rewritten = re.sub(rf"(?<![\w.]){re.escape(old_local)}\.", f"{new_local}.", rewritten)
    return rewritten


def _rewrite_paths(text: str, moves: dict[str, str]) -> str:
    for old, new in sorted(moves.items(), key=lambda item: -len(item[0])):
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
        old_path, new_path = old.replace(".", "/"), new.replace(".", "/")
        text = re.sub(rf"\b{re.escape(old_path)}(\.py|/)", rf"{new_path}\1", text)
        short_old, short_new = old_path.removeprefix("chatapp/"), new_path.removeprefix("chatapp/")
        text = re.sub(
            rf"(?<![\w/.]){re.escape(short_old)}(\.py\b|\.(?=[A-Za-z_])|/)", rf"{short_new}\1", text
        )
    return text


def _files(roots: tuple[str, ...], suffixes: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        path = ROOT / root
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p
                for p in path.rglob("*")
                if p.suffix in suffixes and "node_modules" not in p.parts and p.is_file()
            )
    return found


def move(moves: dict[str, str]) -> None:
    _move_files(moves)
    for path in _files(SOURCES, (".py",)):
        original = path.read_text()
        rewritten = _rewrite_paths(_rewrite_imports(original, moves), moves)
        if rewritten != original:
            path.write_text(rewritten)
    for path in _files(TEXTS, (".md", ".yaml", ".toml", ".txt")):
        original = path.read_text()
        rewritten = _rewrite_paths(original, moves)
        if rewritten != original:
            path.write_text(rewritten)
    ruff = str(Path(sys.executable).parent / "ruff")
    subprocess.run([ruff, "check", "--fix", "--select", "I", "--quiet", *SOURCES], cwd=ROOT, check=False)
    subprocess.run([ruff, "format", "--quiet", *SOURCES], cwd=ROOT, check=False)


def main(arguments: list[str]) -> None:
    moves = dict(argument.split("=", 1) for argument in arguments)
    if not moves:
        raise SystemExit(__doc__)
    move(moves)


if __name__ == "__main__":
    main(sys.argv[1:])
