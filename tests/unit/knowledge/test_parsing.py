"""Document parsing: every fixture is built here, in tmp_path, from the libraries that write the format."""

from __future__ import annotations

import inspect
import os
import random
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pypdf
import pytest
from fpdf import FPDF
from PIL import Image

from chatapp.knowledge.parsing import (
    SECTION_SEPARATOR,
    SUPPORTED_MIME_TYPES,
    CorruptFile,
    ParsedDocument,
    ParseError,
    Section,
    UnsupportedFileType,
    mime_type_for,
    parse_document,
)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BIG_PDF_PAGES = 300


def sections_of(document: ParsedDocument) -> list[Section]:
    sections = list(document.sections)
    assert_offsets_consistent(sections)
    return sections


def assert_offsets_consistent(sections: list[Section]) -> None:
    """Offsets index the sections' texts joined with the separator, and nothing is empty."""
    extracted = SECTION_SEPARATOR.join(section.text for section in sections)
    expected = 0
    for section in sections:
        # Leading indentation may stay (code blocks); blank lines and trailing space may not.
        assert section.text.strip() and section.text == section.text.rstrip()
        assert not section.text.startswith("\n")
        assert section.start_offset == expected
        assert extracted[section.start_offset : section.start_offset + len(section.text)] == section.text
        expected += len(section.text) + len(SECTION_SEPARATOR)


def texts(sections: list[Section]) -> list[str]:
    return [section.text for section in sections]


def write_pdf(path: Path, pages: list[list[str]], *, title: str | None = None) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(title)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def write_text(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_safe_reason(error: ParseError, path: Path) -> None:
    assert error.reason and str(error) == error.reason
    assert str(path.parent) not in error.reason and "Traceback" not in error.reason


# --- MIME types ------------------------------------------------------------------------------


def test_the_supported_types_are_the_six_formats() -> None:
    assert set(SUPPORTED_MIME_TYPES) == {PDF, DOCX, "text/html", "text/markdown", "text/plain", "text/csv"}


@pytest.mark.parametrize(
    ("filename", "declared", "expected"),
    [
        ("guide.pdf", None, PDF),
        ("GUIDE.PDF", "application/octet-stream", PDF),
        ("guide.pdf", "application/pdf; name=guide.pdf", PDF),
        ("letter.docx", None, DOCX),
        ("page.htm", None, "text/html"),
        ("page.html", "text/html; charset=utf-8", "text/html"),
        ("notes.md", None, "text/markdown"),
        ("notes.markdown", "", "text/markdown"),
        ("notes", "text/x-markdown", "text/markdown"),
        ("notes.md", "text/plain; charset=utf-8", "text/markdown"),
        ("readme.txt", None, "text/plain"),
        ("readme", "TEXT/PLAIN;charset=UTF-8", "text/plain"),
        ("prices.csv", None, "text/csv"),
        ("prices.csv", "application/vnd.ms-excel", "text/csv"),
        (r"C:\Users\ana\Desktop\faq.txt", None, "text/plain"),
        ("photo.png", None, None),
        ("photo.png", "image/png", None),
        ("guide.pdf", "image/png", None),
        ("sheet.xls", "application/vnd.ms-excel", None),
        ("legacy.doc", "application/msword", None),
        ("no-extension", None, None),
    ],
)
def test_mime_type_for(filename: str, declared: str | None, expected: str | None) -> None:
    assert mime_type_for(filename, declared) == expected


def test_an_unsupported_type_is_refused_before_the_file_is_read(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileType) as caught:
        parse_document(tmp_path / "missing.png", "image/png")
    assert "not supported" in caught.value.reason
    assert isinstance(caught.value, ParseError)


def test_declared_parameters_are_ignored_when_parsing(tmp_path: Path) -> None:
    path = write_text(tmp_path, "a.txt", "hello")
    assert texts(sections_of(parse_document(path, "text/plain; charset=utf-8"))) == ["hello"]


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_sections_carry_their_page_numbers_and_the_metadata_title(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "manual.pdf",
        [["Welcome to Acme.", "Read this first."], ["Returns take 30 days."], ["Call us on Mondays."]],
        title="Acme Manual",
    )

    document = parse_document(path, PDF)

    assert inspect.isgenerator(document.sections)
    assert document.title == "Acme Manual"
    assert document.page_count == 3
    sections = sections_of(document)
    assert [section.page_number for section in sections] == [1, 2, 3]
    assert "Welcome to Acme." in sections[0].text and "Read this first." in sections[0].text
    assert "Returns take 30 days." in sections[1].text
    assert "Call us on Mondays." in sections[2].text
    assert all(section.section_title is None for section in sections)


def test_a_pdf_without_a_title_has_none(tmp_path: Path) -> None:
    document = parse_document(write_pdf(tmp_path / "a.pdf", [["Text"]]), PDF)
    assert document.title is None
    assert texts(sections_of(document)) == ["Text"]


def test_blank_lines_in_page_text_split_it_into_paragraphs(tmp_path: Path, monkeypatch) -> None:
    path = write_pdf(tmp_path / "a.pdf", [["one"], ["two"]])
    pages = {"one": "First paragraph\nstill first\n \nSecond paragraph", "two": "Only paragraph"}
    original = pypdf.PageObject.extract_text
    monkeypatch.setattr(pypdf.PageObject, "extract_text", lambda page, *a, **k: pages[original(page).strip()])

    sections = sections_of(parse_document(path, PDF))

    assert [(s.text, s.page_number) for s in sections] == [
        ("First paragraph\nstill first", 1),
        ("Second paragraph", 1),
        ("Only paragraph", 2),
    ]


def test_a_password_protected_pdf_is_refused_with_a_clear_reason(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter(clone_from=write_pdf(tmp_path / "plain.pdf", [["Secret plans"]]))
    writer.encrypt("s3cret")
    path = tmp_path / "locked.pdf"
    writer.write(path)

    with pytest.raises(CorruptFile) as caught:
        parse_document(path, PDF)

    assert "password-protected" in caught.value.reason
    assert_safe_reason(caught.value, path)


def test_a_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    # Restricting printing or copying sets an owner password; the empty user password still opens it.
    writer = pypdf.PdfWriter(clone_from=write_pdf(tmp_path / "plain.pdf", [["Open for reading"]]))
    writer.encrypt(user_password="", owner_password="owner")
    path = tmp_path / "restricted.pdf"
    writer.write(path)

    assert texts(sections_of(parse_document(path, PDF))) == ["Open for reading"]


@pytest.mark.parametrize(
    ("name", "content", "mime_type"),
    [
        ("garbage.pdf", os.urandom(4096), PDF),
        ("empty.pdf", b"", PDF),
        ("truncated.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", PDF),
        ("garbage.docx", os.urandom(4096), DOCX),
        ("old-word.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048), DOCX),
    ],
)
def test_garbage_is_a_corrupt_file(tmp_path: Path, name: str, content: bytes, mime_type: str) -> None:
    path = write_text(tmp_path, name, content)

    with pytest.raises(CorruptFile) as caught:
        list(parse_document(path, mime_type).sections)

    assert_safe_reason(caught.value, path)


def test_a_zip_that_is_not_a_word_document_is_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "not a document")

    with pytest.raises(CorruptFile) as caught:
        parse_document(path, DOCX)

    assert ".docx" in caught.value.reason


def test_a_pdf_without_extractable_text_says_it_may_be_scanned(tmp_path: Path) -> None:
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 100, 100, style="F")  # a picture of a page, no text operators
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))

    document = parse_document(path, PDF)
    assert document.page_count == 2
    with pytest.raises(ParseError) as caught:
        list(document.sections)

    assert not isinstance(caught.value, CorruptFile)
    assert "No text could be extracted" in caught.value.reason and "scanned" in caught.value.reason


def test_a_page_that_fails_to_extract_does_not_sink_the_document(tmp_path: Path, monkeypatch) -> None:
    path = write_pdf(tmp_path / "a.pdf", [["page one"], ["page two"], ["page three"]])
    original = pypdf.PageObject.extract_text

    def flaky(page: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        text = original(page)
        if text == "page two":
            raise pypdf.errors.PdfReadError("broken content stream")
        return text

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky)

    sections = sections_of(parse_document(path, PDF))

    assert [(s.text, s.page_number) for s in sections] == [("page one", 1), ("page three", 3)]


def test_a_pdf_whose_every_page_fails_is_a_corrupt_file(tmp_path: Path, monkeypatch) -> None:
    path = write_pdf(tmp_path / "a.pdf", [["page one"], ["page two"]])

    def broken(page: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        raise pypdf.errors.PdfStreamError("Stream has ended unexpectedly")

    monkeypatch.setattr(pypdf.PageObject, "extract_text", broken)

    with pytest.raises(CorruptFile) as caught:
        list(parse_document(path, PDF).sections)
    assert_safe_reason(caught.value, path)


def test_an_error_raised_while_iterating_becomes_a_parse_error(tmp_path: Path, monkeypatch) -> None:
    from chatapp.knowledge.parsers import pdf as pdf_reader

    path = write_pdf(tmp_path / "a.pdf", [["page one"], ["page two"]])
    document = parse_document(path, PDF)

    def explode(page_text: str) -> list[str]:
        raise KeyError("/Contents")

    monkeypatch.setattr(pdf_reader, "_paragraphs", explode)

    with pytest.raises(CorruptFile) as caught:
        next(document.sections)
    assert isinstance(caught.value.__cause__, KeyError)
    assert_safe_reason(caught.value, path)


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 pages, each with its own line of text and its own image, the bulk of a real large PDF."""
    rng = random.Random(7)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.set_title("Big catalogue")
    for number in range(1, BIG_PDF_PAGES + 1):
        pdf.add_page()
        pdf.cell(text=f"Catalogue page {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(text="Every item ships within two working days.", new_x="LMARGIN", new_y="NEXT")
        noise = Image.frombytes("RGB", (64, 64), rng.randbytes(64 * 64 * 3))  # incompressible
        pdf.image(noise, x=10, y=40, w=60)
    path = tmp_path_factory.mktemp("big") / "catalogue.pdf"
    pdf.output(str(path))
    return path


def test_a_large_pdf_is_extracted_one_page_at_a_time(big_pdf: Path, monkeypatch) -> None:
    extracted: list[int] = []
    original = pypdf.PageObject.extract_text

    def counting(page: pypdf.PageObject, *args: object, **kwargs: object) -> str:
        extracted.append(1)
        return original(page, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counting)

    document = parse_document(big_pdf, PDF)
    assert extracted == []  # opening reads the page tree and metadata, no page content
    assert document.page_count == BIG_PDF_PAGES

    first = next(document.sections)
    assert first.page_number == 1 and first.text.startswith("Catalogue page 1\n")
    assert len(extracted) == 1

    rest = list(document.sections)
    assert len(extracted) == BIG_PDF_PAGES
    assert [s.page_number for s in [first, *rest]] == list(range(1, BIG_PDF_PAGES + 1))
    assert rest[-1].text.startswith(f"Catalogue page {BIG_PDF_PAGES}\n")
    assert_offsets_consistent([first, *rest])


def test_iterating_a_large_pdf_needs_less_memory_than_the_file(big_pdf: Path) -> None:
    # Warm up: the first parse imports pypdf's modules, which tracemalloc would otherwise count.
    list(parse_document(big_pdf, PDF).sections)[:1]
    size = big_pdf.stat().st_size
    started = time.monotonic()

    tracemalloc.start()
    try:
        document = parse_document(big_pdf, PDF)
        count = sum(1 for _ in document.sections)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == BIG_PDF_PAGES
    # Holding the file's bytes, or every page's decoded objects, would alone reach 1x the file.
    assert peak < size, f"peak {peak} bytes for a {size}-byte file"
    assert time.monotonic() - started < 5


# --- Word ------------------------------------------------------------------------------------


def write_docx(path: Path, build: Callable[[docx.document.Document], None], *, title: str = "") -> Path:
    document = docx.Document()
    document.core_properties.title = title
    build(document)
    document.save(str(path))
    return path


def build_handbook(document: docx.document.Document) -> None:
    document.add_heading("Staff Handbook", level=0)
    document.add_paragraph("Welcome aboard.")
    document.add_heading("Holidays", level=1)
    document.add_paragraph("You get 25 days.")
    document.add_paragraph("   ")  # whitespace only: skipped
    document.add_heading("Carrying over", level=2)
    document.add_paragraph("Up to five days carry over.")
    table = document.add_table(rows=3, cols=3)
    rows = [["Grade", "Days", "Notes"], ["A", "25", ""], ["B", "30", "senior"]]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Sick leave", level=1)
    document.add_paragraph("Tell your manager before 9am.")


def test_docx_paragraphs_headings_and_tables(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "handbook.docx", build_handbook)

    document = parse_document(path, DOCX)

    assert document.title == "Staff Handbook"  # no core title: the first heading
    assert document.page_count is None
    sections = sections_of(document)
    assert [(s.text, s.section_title) for s in sections] == [
        ("Welcome aboard.", "Staff Handbook"),
        ("You get 25 days.", "Holidays"),
        ("Up to five days carry over.", "Carrying over"),
        ("Grade | Days | Notes\nA | 25 |\nB | 30 | senior", "Carrying over"),
        ("Tell your manager before 9am.", "Sick leave"),
    ]
    assert all(s.page_number is None for s in sections)


def test_docx_title_comes_from_the_core_properties_first(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "a.docx", build_handbook, title="HR Handbook 2025")
    assert parse_document(path, DOCX).title == "HR Handbook 2025"


def test_docx_merged_cells_are_rendered_once(tmp_path: Path) -> None:
    def build(document: docx.document.Document) -> None:
        table = document.add_table(rows=2, cols=3)
        merged = table.cell(0, 0).merge(table.cell(0, 1))
        merged.text = "Plan"
        table.cell(0, 2).text = "Price"
        for cell, value in zip(table.rows[1].cells, ["Basic", "Monthly", "9 EUR"], strict=True):
            cell.text = value

    sections = sections_of(parse_document(write_docx(tmp_path / "a.docx", build), DOCX))

    assert texts(sections) == ["Plan | Price\nBasic | Monthly | 9 EUR"]


# --- HTML ------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head>
  <title>Help Centre &amp; FAQ</title>
  <style>p { color: red; } .hidden-style-text {}</style>
  <script>var trackingSecret = "do-not-index";</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/pricing">Pricing nav link</a></nav>
  <h1>Getting   started</h1>
  <p>Sign   in with your
     email&nbsp;address &mdash; then <b>verify</b> it.</p>
  <div>First block<br>after break</div>
  <h2>Plans</h2>
  <ul><li>Basic</li><li>Pro &lt;popular&gt;</li></ul>
  <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>9 &euro;</td></tr></table>
  <h3>Example</h3>
  <pre>  curl -X POST \\
    https://api.example.com</pre>
  <noscript>Enable JavaScript</noscript>
  <footer>Copyright footer text</footer>
</body></html>
"""


def test_html_keeps_visible_text_in_paragraphs_under_their_headings(tmp_path: Path) -> None:
    path = write_text(tmp_path, "faq.html", PAGE)

    document = parse_document(path, "text/html")

    assert document.title == "Help Centre & FAQ"
    sections = sections_of(document)
    assert [(s.text, s.section_title) for s in sections] == [
        ("Sign in with your email address \u2014 then verify it.", "Getting started"),
        ("First block", "Getting started"),
        ("after break", "Getting started"),
        ("Basic", "Plans"),
        ("Pro <popular>", "Plans"),
        ("Plan | Price", "Plans"),
        ("Basic | 9 \u20ac", "Plans"),
        ("  curl -X POST \\\n    https://api.example.com", "Example"),
    ]
    everything = SECTION_SEPARATOR.join(texts(sections))
    for dropped in ("color: red", "do-not-index", "Pricing nav link", "Enable JavaScript", "footer text"):
        assert dropped not in everything


def test_html_title_falls_back_to_the_first_h1(tmp_path: Path) -> None:
    path = write_text(tmp_path, "a.html", "<body><h2>Intro</h2><p>x</p><h1>Main title</h1><p>y</p></body>")
    document = parse_document(path, "text/html")
    assert document.title == "Main title"
    assert [(s.text, s.section_title) for s in sections_of(document)] == [("x", "Intro"), ("y", "Main title")]


def test_broken_html_still_gives_its_text(tmp_path: Path) -> None:
    path = write_text(
        tmp_path, "a.html", "<p>unclosed <b>bold<div>inner</p></span><h2>Later</h2>tail <script>x"
    )
    sections = sections_of(parse_document(path, "text/html"))
    assert [(s.text, s.section_title) for s in sections] == [
        ("unclosed bold", None),
        ("inner", None),
        ("tail", "Later"),
    ]


def test_large_html_is_streamed_in_chunks(tmp_path: Path) -> None:
    paragraphs = [f"<p>Paragraph number {n} &amp; some text.</p>" for n in range(5000)]
    path = write_text(tmp_path, "big.html", "<h1>Big</h1>" + "\n".join(paragraphs))

    sections = sections_of(parse_document(path, "text/html"))

    assert len(sections) == 5000
    assert sections[-1].text == "Paragraph number 4999 & some text."


# --- Markdown --------------------------------------------------------------------------------

MARKDOWN = """\
# Product Guide

Intro with **bold**, _emphasis_, `inline *code*`, a snake_case_name and
a [pricing page](https://example.com/pricing) plus ![logo](logo.png) and [docs](/docs).

## Installation

> Note: run as **admin**.

```bash
# this is a comment, not a heading
pip install acme

./acme --init
```

### On Windows

Use the \\*installer\\*.

Troubleshooting
---------------

| Error | Fix |
|-------|-----|
| E1    | Restart |

## Billing

Invoices arrive monthly.
"""


def test_markdown_sections_headings_and_code_fences(tmp_path: Path) -> None:
    path = write_text(tmp_path, "guide.md", MARKDOWN)

    document = parse_document(path, "text/markdown")

    assert document.title == "Product Guide"
    sections = sections_of(document)
    assert [(s.text, s.section_title) for s in sections] == [
        (
            "Intro with bold, emphasis, inline *code*, a snake_case_name and\n"
            "a pricing page (https://example.com/pricing) plus logo and docs.",
            "Product Guide",
        ),
        ("Note: run as admin.", "Installation"),
        (
            "```bash\n# this is a comment, not a heading\npip install acme\n\n./acme --init\n```",
            "Installation",
        ),
        ("Use the *installer*.", "On Windows"),
        ("| Error | Fix |\n| E1    | Restart |", "Troubleshooting"),
        ("Invoices arrive monthly.", "Billing"),
    ]


def test_markdown_without_a_level_one_heading_has_no_title(tmp_path: Path) -> None:
    path = write_text(tmp_path, "a.md", "## Only a subheading\n\nText\n")
    document = parse_document(path, "text/markdown")
    assert document.title is None
    assert [(s.text, s.section_title) for s in sections_of(document)] == [("Text", "Only a subheading")]


def test_an_unclosed_code_fence_runs_to_the_end(tmp_path: Path) -> None:
    path = write_text(tmp_path, "a.md", "Before\n\n~~~\ncode\n\n# not a heading\n")
    assert texts(sections_of(parse_document(path, "text/markdown"))) == [
        "Before",
        "~~~\ncode\n\n# not a heading",
    ]


# --- CSV -------------------------------------------------------------------------------------


def test_csv_rows_become_labelled_sections(tmp_path: Path) -> None:
    path = write_text(
        tmp_path,
        "prices.csv",
        'product,price,notes\nBasic,9,"monthly, cancel anytime"\n,,\n'
        'Pro,29,"the ""popular"" one"\nTeam,99,,x\n',
    )

    document = parse_document(path, "text/csv")

    assert document.title is None and document.page_count is None
    sections = sections_of(document)
    assert texts(sections) == [
        "product: Basic; price: 9; notes: monthly, cancel anytime",
        'product: Pro; price: 29; notes: the "popular" one',
        "product: Team; price: 99; column 4: x",
    ]
    assert {s.section_title for s in sections} == {"product, price, notes"}


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_dialect_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [["name", "city"], ["Ana", "Lisbon, PT"], ["Bo", "Oslo"]]
    path = write_text(tmp_path, "a.csv", "\n".join(delimiter.join(row) for row in rows) + "\n")
    assert texts(sections_of(parse_document(path, "text/csv"))) == [
        "name: Ana; city: Lisbon, PT",
        "name: Bo; city: Oslo",
    ]


def test_a_single_column_csv_uses_the_header(tmp_path: Path) -> None:
    path = write_text(tmp_path, "a.csv", "question\nHow do I reset my password?\nWhere is my order?\n")
    assert texts(sections_of(parse_document(path, "text/csv"))) == [
        "question: How do I reset my password?",
        "question: Where is my order?",
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [("", "empty"), ("\n \n", "empty"), ("a,b,c\n", "no data rows"), ("a,b\n,\n", "no data rows")],
)
def test_a_csv_without_data_is_a_parse_error(tmp_path: Path, content: str, reason: str) -> None:
    path = write_text(tmp_path, "a.csv", content)
    with pytest.raises(ParseError) as caught:
        list(parse_document(path, "text/csv").sections)
    assert reason in caught.value.reason


# --- Plain text and encodings ----------------------------------------------------------------


def test_plain_text_paragraphs(tmp_path: Path) -> None:
    path = write_text(tmp_path, "a.txt", "First line\nsecond line\n\n\n  \nNext paragraph  \r\n\r\nLast")
    document = parse_document(path, "text/plain")
    assert document.title is None
    assert texts(sections_of(document)) == ["First line\nsecond line", "Next paragraph", "Last"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Café \u2013 “quoted” costs €5".encode("cp1252"), "Café \u2013 “quoted” costs €5"),
        ("\ufeffCafé with a BOM".encode(), "Café with a BOM"),
        ("Ünïcode in UTF-16".encode("utf-16"), "Ünïcode in UTF-16"),
        (b"caf\xe9 \x81\x8d not even cp1252", "café  not even cp1252"),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = write_text(tmp_path, "a.txt", raw)
    assert texts(sections_of(parse_document(path, "text/plain"))) == [expected]


def test_cp1252_markdown_and_html_decode_too(tmp_path: Path) -> None:
    markdown = write_text(tmp_path, "a.md", "# Résumé\n\nNaïve “text”.".encode("cp1252"))
    html = write_text(tmp_path, "a.html", "<title>Ça va</title><p>Déjà vu</p>".encode("cp1252"))
    assert parse_document(markdown, "text/markdown").title == "Résumé"
    assert texts(sections_of(parse_document(html, "text/html"))) == ["Déjà vu"]


@pytest.mark.parametrize(
    "content",
    [
        random.Random(3).randbytes(4096),
        b"plain start\n" * 10_000 + b"\x00\x01\x02binary tail",
        bytes(range(1, 32)) * 50,
    ],
    ids=["random", "nul-after-the-first-chunk", "control-bytes"],
)
@pytest.mark.parametrize("mime_type", ["text/plain", "text/markdown", "text/html", "text/csv"])
def test_binary_content_is_not_text(tmp_path: Path, content: bytes, mime_type: str) -> None:
    path = write_text(tmp_path, "blob.txt", content)

    with pytest.raises(CorruptFile) as caught:
        parse_document(path, mime_type)

    assert "does not look like a text file" in caught.value.reason
    assert_safe_reason(caught.value, path)


@pytest.mark.parametrize("mime_type", ["text/plain", "text/markdown", "text/html"])
def test_an_empty_text_file_is_a_parse_error(tmp_path: Path, mime_type: str) -> None:
    path = write_text(tmp_path, "a.txt", " \n\n\t\n")
    with pytest.raises(ParseError, match="contains no text"):
        list(parse_document(path, mime_type).sections)


def test_a_missing_file_is_not_blamed_on_the_customer(tmp_path: Path) -> None:
    # Losing the upload is the platform's fault: an OSError, not a ParseError with a reason.
    with pytest.raises(FileNotFoundError):
        parse_document(tmp_path / "gone.txt", "text/plain")
