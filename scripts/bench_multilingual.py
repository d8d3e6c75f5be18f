"""Cross-language retrieval on the Debian Reference (issue #20), run by
`./run bench-knowledge --only multilingual`.

The guide ships in Debian as the same HTML in many languages (`debian-reference-en`, `-de`, `-fr`,
installed with apt-get when missing). Its English pages are indexed into one company and its
German pages into another, through the real ingestion pipeline; the 50 questions of
`tests/fixtures/retrieval_eval/debian_reference/` (each written in English, German and French,
labelled with the *section* that answers it, by anchor) are asked of the English guide in all three
languages, and in German of the German guide. A question succeeds at 5 when one of the five passages
the agent's search returns (hybrid, as agents search) lies in the answering section or one of its
subsections. Run once per embedding model (the offline English MiniLM and the multilingual
multilingual-e5-small), each in its own process, database and vector directory.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.public_corpora import APT_COMMAND

ROOT = Path(__file__).resolve().parent.parent
GUIDE = Path("/usr/share/debian-reference")
QUESTIONS = ROOT / "tests" / "fixtures" / "retrieval_eval" / "debian_reference" / "questions.jsonl"
PAGES = [f"ch{n:02d}" for n in range(1, 13)] + ["apa"]
LANGUAGES = ("en", "de", "fr")
PACKAGES = {language: f"debian-reference-{language}" for language in LANGUAGES}
_HEADING = re.compile(r'<h([1-6]) class="title"><a id="([^"]+)"/>(.*?)</h\1>', re.DOTALL)


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    title: str


def _clean(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def headings(page: str, language: str) -> list[Heading]:
    source = (GUIDE / f"{page}.{language}.html").read_text(encoding="utf-8")
    return [Heading(int(level), anchor, _clean(title)) for level, anchor, title in _HEADING.findall(source)]


def section_of(page_headings: list[Heading], title: str | None) -> str | None:
    """The anchor of the heading a chunk's section title names."""
    wanted = " ".join((title or "").split())
    return next((h.anchor for h in page_headings if h.title == wanted), None)


def within(page_headings: list[Heading], anchor: str | None, answer: str) -> bool:
    """Whether `anchor` is the answering section or one of its subsections."""
    if anchor is None:
        return False
    inside, level = False, 0
    for heading in page_headings:
        if heading.anchor == answer:
            inside, level = True, heading.level
        elif inside and heading.level <= level:
            return False
        if inside and heading.anchor == anchor:
            return True
    return False


def install() -> None:
    """The guides' Debian packages, with apt-get (as `devtools.public_corpora` installs its own)."""
    missing = [p for lang, p in PACKAGES.items() if not (GUIDE / f"ch01.{lang}.html").exists()]
    if missing:
        command = [*APT_COMMAND, *missing]
        if subprocess.run(command, check=False).returncode:
            subprocess.run(["apt-get", "update"], check=False)  # noqa: S607 - apt from PATH, as there
            subprocess.run(command, check=True)


def phase(provider: str) -> dict[str, Any]:
    """Inside its own process (EMBEDDING_PROVIDER set by the caller)."""
    from bench_knowledge import _company, _ingest_bytes, _phase_environment

    _phase_environment(f"buzzi_bench_multilingual_{provider}", tempfile.mkdtemp(prefix="buzzi-bench-"))
    from chatapp.db.tenancy import tenant_session
    from chatapp.integrations.embeddings import get_embedder
    from chatapp.knowledge.retrieval import search

    questions = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    guides: dict[str, tuple[Any, Any, float, int]] = {}
    for language in ("en", "de"):
        principal, category = _company(f"guide-{language}-{provider}")
        started, chunks = time.perf_counter(), 0
        for number, page in enumerate(PAGES, start=1):
            name = f"{page}.{language}.html"
            result = _ingest_bytes(principal, category, name, (GUIDE / name).read_bytes(), "text/html")
            assert result["outcome"] == "indexed", result
            chunks += result["chunks"] or 0
            print(
                f"    {provider} {language}: {number}/{len(PAGES)} pages, {chunks} chunks",
                file=sys.stderr,
                flush=True,
            )
        guides[language] = (principal, category, time.perf_counter() - started, chunks)

    def success_at_5(guide: str, asked: str) -> float:
        principal, category, _, _ = guides[guide]
        page_headings = {page: headings(page, guide) for page in PAGES}
        hits = 0
        for question in questions:
            with tenant_session(principal.context()) as db:
                found = search(db, principal.company_id, [category], question["question"][asked], limit=5)
            for passage in found:
                page = passage.filename.split(".")[0]
                anchor = section_of(page_headings.get(page, []), passage.section_title)
                if any(
                    answer["page"] == page and within(page_headings[page], anchor, answer["anchor"])
                    for answer in question["answers"]
                ):
                    hits += 1
                    break
        return hits / len(questions)

    return {
        "model": get_embedder().model_id,
        "questions": len(questions),
        "chunks": {language: guides[language][3] for language in guides},
        "ingest_seconds": {language: round(guides[language][2], 1) for language in guides},
        "english_guide": {language: success_at_5("en", language) for language in LANGUAGES},
        "german_guide_in_german": success_at_5("de", "de"),
    }


def report(run_phase: Any) -> None:
    """Both models, each in its own process; prints the table."""
    install()
    print(
        "» cross-language retrieval on the Debian Reference (success@5 by section, hybrid search)", flush=True
    )
    rows = {provider: run_phase("multilingual", ["--embedding", provider]) for provider in ("minilm", "e5")}
    any_row = next(iter(rows.values()))
    print(
        f"  {any_row['questions']} questions asked in English, German and French of the English guide "
        f"({any_row['chunks']['en']} chunks), and in German of the German guide "
        f"({any_row['chunks']['de']} chunks)"
    )
    print(f"  {'model':<36} {'en':>6} {'de':>6} {'fr':>6}   de-de   (ingest en / de)")
    for row in rows.values():
        english = row["english_guide"]
        print(
            f"  {row['model']:<36} {english['en']:6.3f} {english['de']:6.3f} {english['fr']:6.3f}   "
            f"{row['german_guide_in_german']:5.3f}   "
            f"({row['ingest_seconds']['en']:.0f} s / {row['ingest_seconds']['de']:.0f} s)"
        )
    e5 = rows["e5"]["english_guide"]
    gaps = {language: e5["en"] - e5[language] for language in ("de", "fr")}
    print(
        f"  multilingual model: English minus German {gaps['de']:+.3f}, minus French {gaps['fr']:+.3f} "
        "(target: each within 0.10)"
    )
