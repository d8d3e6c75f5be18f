"""Public documentation corpora for the retrieval evaluation sets, installed from Debian packages.

Two corpora, each the HTML of one Debian package:

- `debian_handbook`: the Debian Administrator's Handbook, English HTML (package `debian-handbook`),
  every `*.html` page of `/usr/share/doc/debian-handbook/html/en-US/`.
- `python_stdlib`: the Python standard-library reference (package `python3-doc`), the pages
  `library/*.html` under `/usr/share/doc/python3/html/`.

`corpus_root()` finds a corpus's HTML root; when the package is missing it installs it with apt-get
if running as root, and otherwise raises `CorpusMissing` naming the package. No network but apt.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "retrieval_eval"


@dataclass(frozen=True)
class PublicCorpus:
    name: str  # the set's directory under tests/fixtures/retrieval_eval/
    package: str  # the Debian package that ships the HTML
    root: Path  # the HTML root; answer pages are relative to it
    pattern: str  # glob, relative to root, of the pages that make up the corpus

    @property
    def questions_file(self) -> Path:
        return EVAL_DIR / self.name / "questions.jsonl"


DEBIAN_HANDBOOK = PublicCorpus(
    name="debian_handbook",
    package="debian-handbook",
    root=Path("/usr/share/doc/debian-handbook/html/en-US"),
    pattern="*.html",
)
PYTHON_STDLIB = PublicCorpus(
    name="python_stdlib",
    package="python3-doc",
    root=Path("/usr/share/doc/python3/html"),
    pattern="library/*.html",
)
CORPORA: dict[str, PublicCorpus] = {c.name: c for c in (DEBIAN_HANDBOOK, PYTHON_STDLIB)}
APT_COMMAND = ("apt-get", "install", "-y", "--no-install-recommends")


class CorpusMissing(RuntimeError):
    """A corpus's Debian package is not installed and could not be installed."""


def _installed(corpus: PublicCorpus) -> bool:
    return any(corpus.root.glob(corpus.pattern))


def install(corpora: tuple[PublicCorpus, ...] = (DEBIAN_HANDBOOK, PYTHON_STDLIB)) -> None:
    """Install the corpora's Debian packages with apt-get (root only); raise CorpusMissing otherwise."""
    missing = [c for c in corpora if not _installed(c)]
    if not missing:
        return
    packages = [c.package for c in missing]
    if os.geteuid() != 0:
        raise CorpusMissing(
            f"The retrieval evaluation corpora need the Debian package(s) {', '.join(packages)}. "
            f"Install them (sudo apt-get install -y {' '.join(packages)}) and run again."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = [*APT_COMMAND, *packages]
    if subprocess.run(command, env=env).returncode:
        subprocess.run(["apt-get", "update"], env=env)  # a fresh machine may have no package lists yet
        subprocess.run(command, env=env)
    still = [c.package for c in missing if not _installed(c)]
    if still:
        raise CorpusMissing(f"Could not install the Debian package(s) {', '.join(still)} with apt-get.")


def corpus_root(corpus: PublicCorpus, *, install_missing: bool = True) -> Path:
    """The corpus's HTML root, installing its package first when missing (and allowed, and root)."""
    if not _installed(corpus):
        if not install_missing:
            raise CorpusMissing(
                f"{corpus.name}: no pages at {corpus.root / corpus.pattern}; "
                f"install the Debian package {corpus.package} (apt-get install -y {corpus.package})."
            )
        install((corpus,))
    return corpus.root.resolve()


def corpus_pages(corpus: PublicCorpus, *, install_missing: bool = True) -> list[str]:
    """The pages that make up the corpus, as paths relative to its root (e.g. `library/shelve.html`)."""
    root = corpus_root(corpus, install_missing=install_missing)
    return sorted(p.relative_to(root).as_posix() for p in root.glob(corpus.pattern) if p.is_file())


def package_version(package: str) -> str | None:
    """The installed version of a Debian package, from dpkg, or None."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


@dataclass(frozen=True)
class Answer:
    page: str
    section: str | None
    evidence: str | None


@dataclass(frozen=True)
class PublicQuestion:
    id: str
    question: str
    kind: str  # symptom, goal, lookup or no_answer
    answers: tuple[Answer, ...]  # empty for no_answer
    evidence: str | None
    how_written: str


def load_questions(corpus: PublicCorpus) -> list[PublicQuestion]:
    """The set's questions; each answer carries its own evidence or the question's."""
    questions = []
    for line in corpus.questions_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        evidence = raw.get("evidence")
        answers = tuple(
            Answer(a["page"], a.get("section"), a.get("evidence", evidence)) for a in raw["answers"]
        )
        questions.append(
            PublicQuestion(raw["id"], raw["question"], raw["kind"], answers, evidence, raw["how_written"])
        )
    return questions
