"""`./run bench-extraction`: does a main-content extraction library (trafilatura) do better than the
crawler's own extraction (`chatapp.knowledge.sources.web_page`)? Issue #21 adopts it only if it does.

Both public documentation sets (Debian packages: the Debian Administrator's Handbook and the Python
standard-library reference, pages with a real site's navigation, sidebars and footers) are read
three ways:

* `upload`: the raw page, as if uploaded as a file (the knowledge pipeline's HTML reader alone);
* `crawler`: what a web source stores, the crawler's main content as clean HTML;
* `trafilatura`: trafilatura's main content, as HTML (tables and formatting kept).

For each it prints the extraction time per page and, with each set's questions written before
any of this, retrieval quality after indexing the result through the real pipeline (hybrid search,
scored by page). trafilatura is installed into the environment on first use (pinned below); it is
not a product dependency.
"""

from __future__ import annotations

import argparse
import html
import importlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT), str(ROOT / "scripts")]

TRAFILATURA = "trafilatura==2.3.1"
EXTRACTORS = ("upload", "crawler", "trafilatura")
BASE_URL = "https://docs.example.com/"


def extract(extractor: str, page: str, raw: bytes) -> bytes:
    """The HTML the knowledge pipeline indexes for `page` under `extractor`."""
    if extractor == "upload":
        return raw
    if extractor == "crawler":
        from chatapp.knowledge.sources.web_page import read_page

        return read_page(BASE_URL + page, raw, "text/html; charset=utf-8").html
    import trafilatura

    found = trafilatura.extract(
        raw.decode("utf-8", "replace"),
        url=BASE_URL + page,
        output_format="html",
        include_tables=True,
        include_formatting=True,
        include_comments=False,
        with_metadata=False,
    )
    metadata = trafilatura.extract_metadata(raw.decode("utf-8", "replace"))
    head = f"<head><title>{html.escape(metadata.title)}</title></head>" if metadata and metadata.title else ""
    document = found or "<html><body></body></html>"
    return document.replace("<html>", f"<!DOCTYPE html><html>{head}", 1).encode()


def ensure_trafilatura() -> None:
    try:
        importlib.import_module("trafilatura")
    except ImportError:
        print(f"» installing {TRAFILATURA} for this measurement", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", TRAFILATURA], check=True)


def _extraction_times(corpus_name: str) -> dict[str, float]:
    """Milliseconds per page for each extractor over the whole set (the best of two passes)."""
    from devtools.public_corpora import CORPORA, corpus_pages, corpus_root

    corpus = CORPORA[corpus_name]
    root = corpus_root(corpus)
    pages = [(page, (root / page).read_bytes()) for page in corpus_pages(corpus)]
    times = {}
    for extractor in EXTRACTORS:
        if extractor == "upload":
            continue
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            for page, raw in pages:
                extract(extractor, page, raw)
            runs.append((time.perf_counter() - started) / len(pages) * 1000)
        times[extractor] = min(runs)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description="main-content extraction: the crawler's own vs trafilatura")
    parser.add_argument("--extractors", nargs="+", choices=EXTRACTORS, default=list(EXTRACTORS))
    args = parser.parse_args()
    ensure_trafilatura()
    from bench_knowledge import _run_phase

    from devtools.public_corpora import CORPORA

    for name in CORPORA:
        times = _extraction_times(name)
        print(f"» {name}: extraction, then retrieval through the real pipeline (hybrid, by page)", flush=True)
        print(f"  {'extractor':<12} ms/page  chunks  success@1  success@5  MRR@10  nDCG@10")
        for extractor in args.extractors:
            public = _run_phase("public", ["--set", name, "--extractor", extractor])
            row = public["methods"]["buzzi hybrid"]
            milliseconds = f"{times[extractor]:7.1f}" if extractor in times else "      -"
            print(
                f"  {extractor:<12} {milliseconds}  {public['chunks']:6d}  {row['success1']:9.3f}  "
                f"{row['success5']:9.3f}  {row['mrr10']:6.3f}  {row['ndcg10']:7.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
