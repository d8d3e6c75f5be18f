"""Attack: a knowledge file that is small on disk and huge once unpacked (a zip bomb).

A DOCX is a zip archive. An upload of about 53 KB whose `word/document.xml` is a repeated empty
paragraph (`<w:p/>`) unpacks to some 50 MB of markup, which python-docx parses into a tree several
times that size: the ingest worker went from 56 MB to 304 MB of memory on one such file, so half a
megabyte of upload reached the function's 2 GB. The out-of-memory crash also took down the other
records of the same SQS batch, possibly other companies' files.

Buzzi withstands it: before parsing, the archive's declared entry count, unpacked size, markup
size and per-entry packing ratio are checked (zipfile never unpacks more than an entry declares), and
a file over any of them fails with a reason its uploader can act on. PDFs get page and object
count caps, and every format a cap on the time spent reading it.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parse_errors import ParseError
from chatapp.knowledge.parsing import parse_document
from tests.integration.knowledge.documents import MIME_TYPES, build
from tests.integration.stack import KnowledgeTenant, LocalAws, new_tenant

DOCX = MIME_TYPES["docx"]
EMPTY_PARAGRAPHS = 9_000_000  # 54 MB of markup


@pytest.fixture
def tenant(owner_engine: Engine, local_aws: LocalAws) -> KnowledgeTenant:
    return new_tenant(owner_engine, "Bomb")


def docx_bomb(paragraphs: int = EMPTY_PARAGRAPHS) -> bytes:
    """A valid Word document (python-docx's own template) whose body is `paragraphs` empty paragraphs."""
    honest = zipfile.ZipFile(io.BytesIO(build("docx", "Bomb", [("Heading", "Text")])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for entry in honest.infolist():
            data = honest.read(entry)
            if entry.filename == "word/document.xml":
                head, _, tail = data.partition(b"<w:body>")
                data = head + b"<w:body>" + b"<w:p/>" * paragraphs + tail
            bomb.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def test_a_docx_bomb_fails_with_its_reason_and_its_batch_neighbour_is_indexed(
    tenant: KnowledgeTenant, local_aws: LocalAws
) -> None:
    bomb = docx_bomb()
    assert len(bomb) < 120_000
    local_aws.drain()  # what earlier tests left queued: the batch below is these two files alone
    category = tenant.category("Bombs")
    tenant.assign(category)
    bomb_id = tenant.upload(category, "report.docx", bomb, mime_type=DOCX)
    normal = build("md", "Ferries", [("Timetable", "The harbour ferry leaves every 20 minutes from pier 4.")])
    normal_id = tenant.upload(category, "ferries.md", normal)

    batch = local_aws.receive()
    assert len(batch) == 2  # one SQS batch, as the worker would get it
    failed = local_aws.sources.deliver_sqs(local_aws.ingest, local_aws.queue_url, batch)
    assert failed == []  # the bomb is the uploader's problem, not a retry

    refused = tenant.file(bomb_id)
    assert refused["status"] == "failed"
    reason = refused["processing_error"]
    assert "unpacks to" in reason and "MB" in reason and "split" in reason.lower(), reason
    assert tenant.file(normal_id)["status"] == "indexed"
    assert tenant.retrieve("when does the harbour ferry leave?")[0]["file_id"] == normal_id


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (ReadingLimits(archive_entries=10), "parts"),
        (ReadingLimits(archive_unpacked_bytes=500_000), "unpacks to"),
        (ReadingLimits(archive_markup_bytes=200_000), "unpacks to"),
    ],
    ids=["entries", "unpacked", "markup"],
)
def test_every_archive_cap_refuses_before_parsing(tmp_path: Path, limits: ReadingLimits, words: str) -> None:
    honest = tmp_path / "honest.docx"
    honest.write_bytes(build("docx", "Honest", [("Heading", "Text")]))
    parse_document(honest, DOCX)  # within the default caps
    with pytest.raises(ParseError) as refused:
        parse_document(honest, DOCX, limits)
    assert words in refused.value.reason


def test_a_packing_ratio_no_real_document_has_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dense.docx"
    path.write_bytes(docx_bomb(paragraphs=400_000))  # 2.4 MB of markup: under the size caps
    with pytest.raises(ParseError) as refused:
        parse_document(path, DOCX)
    assert "packed" in refused.value.reason


def test_pdf_page_and_object_caps(tmp_path: Path) -> None:
    path = tmp_path / "pages.pdf"
    path.write_bytes(build("pdf", "Pages", [(f"Page {n}", "Some text.") for n in range(6)]))
    assert parse_document(path, MIME_TYPES["pdf"]).page_count == 6
    with pytest.raises(ParseError) as pages:
        parse_document(path, MIME_TYPES["pdf"], ReadingLimits(pdf_pages=5))
    assert "6 pages" in pages.value.reason and "5" in pages.value.reason
    with pytest.raises(ParseError) as objects:
        parse_document(path, MIME_TYPES["pdf"], ReadingLimits(pdf_objects=10))
    assert "objects" in objects.value.reason


def test_reading_time_is_capped_per_file(tmp_path: Path) -> None:
    path = tmp_path / "slow.pdf"
    path.write_bytes(build("pdf", "Slow", [(f"Page {n}", "Some text. " * 200) for n in range(40)]))
    started = time.monotonic()
    document = parse_document(path, MIME_TYPES["pdf"], ReadingLimits(parse_seconds=0.01))
    with pytest.raises(ParseError) as slow:
        list(document.sections)
    assert "took longer than" in slow.value.reason
    assert time.monotonic() - started < 5
