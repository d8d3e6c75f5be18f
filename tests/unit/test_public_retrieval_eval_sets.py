"""The public-documentation evaluation sets (Debian handbook, Python library reference) stay valid.

The corpora are Debian packages. When they are missing the test installs them (as root, like
`./run test` does for chromium) or fails naming the packages: it never skips.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest

from devtools.public_corpora import CORPORA, CorpusMissing, corpus_pages, install, load_questions
from devtools.template import ROOT

VALIDATOR = ROOT / "tests" / "fixtures" / "retrieval_eval" / "validate_public.py"


def _validator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_public", VALIDATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpora_installed() -> None:
    try:
        install(tuple(CORPORA.values()))
    except CorpusMissing as exc:
        pytest.fail(str(exc))


def test_public_sets_validate(corpora_installed: None) -> None:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = _validator().main([])
    assert status == 0, output.getvalue()


def test_each_set_is_spread_over_its_corpus(corpora_installed: None) -> None:
    for corpus in CORPORA.values():
        questions = load_questions(corpus)
        pages = set(corpus_pages(corpus))
        answered = {a.page for q in questions for a in q.answers}
        kinds = {q.kind for q in questions}
        assert len(questions) >= 50, corpus.name
        assert kinds == {"goal", "symptom", "lookup", "no_answer"}, corpus.name
        assert answered <= pages, corpus.name
        assert len(answered) >= 30, f"{corpus.name}: answers cover only {len(answered)} pages"


def test_evidence_must_sit_in_the_labelled_section(tmp_path: Path) -> None:
    validate = _validator()
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T</title></head><body>"
        '<section id="first"><h2>First part¶</h2><p>Alpha beta gamma delta epsilon.</p></section>'
        '<div class="section"><div class="titlepage"><h3><a id="sect.second"></a>2.1. Second</h3></div>'
        '<div class="sidebar"><p class="title"><strong><em>TIP</em> Handy</strong></p>'
        "<p>Zeta <code>eta</code> theta iota kappa.</p></div></div>"
        "</body></html>",
        encoding="utf-8",
    )
    parsed = validate.parse_page(page)
    assert any("Alpha beta gamma" in text for text in parsed.section_texts("first"))
    assert any("Alpha beta gamma" in text for text in parsed.section_texts("First part"))
    assert not any("Zeta" in text for text in parsed.section_texts("first"))
    assert any("Zeta eta theta" in text for text in parsed.section_texts("sect.second"))
    assert any("Zeta eta theta" in text for text in parsed.section_texts("Second"))
    assert any("Zeta eta theta" in text for text in parsed.section_texts("TIP Handy"))
    assert parsed.section_texts("Third") == []


def test_missing_corpus_without_root_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import devtools.public_corpora as public_corpora

    monkeypatch.setattr(public_corpora, "_installed", lambda corpus: False)
    monkeypatch.setattr(public_corpora.os, "geteuid", lambda: 1000)
    with pytest.raises(CorpusMissing, match=r"debian-handbook, python3-doc"):
        install(tuple(CORPORA.values()))
    with pytest.raises(CorpusMissing, match="apt-get install -y python3-doc"):
        public_corpora.corpus_root(public_corpora.PYTHON_STDLIB, install_missing=False)
