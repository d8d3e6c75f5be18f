"""PDF text, one page at a time.

`parse_document` reads only the cross-reference table, the page tree and the metadata; a page's
content is parsed when the consumer asks for its sections. PdfReader gets an open file rather
than the path because, given a path, pypdf copies the whole file into memory.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parse_errors import CorruptFile, ParseError
from chatapp.knowledge.parsers.base import Block, Extraction, library_errors

logger = logging.getLogger(__name__)

NOT_A_PDF_REASON = "This file is not a readable PDF. It may be damaged, or not really a PDF."
PROTECTED_REASON = "This PDF is password-protected. Remove the password and upload it again."
ENCRYPTION_REASON = (
    "This PDF is encrypted in a way that cannot be read here. Save a copy without protection and upload it."
)
DAMAGED_PAGES_REASON = "No page of this PDF could be read. It may be damaged; try saving it again."

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def read_pdf(path: Path, limits: ReadingLimits) -> Extraction:
    # The sections pass reuses this reader and its file: a second reader would parse the cross-
    # reference table and page tree again, and pypdf's reference cycles keep the first one alive
    # until the garbage collector runs.
    stream = path.open("rb")  # handed over to the sections generator, which closes it
    try:
        with library_errors(NOT_A_PDF_REASON):
            reader = _open(stream)
            _check_objects(reader, limits)  # before the page tree, whose pages are objects
            page_count = len(reader.pages)
        if page_count > limits.pdf_pages:
            raise ParseError(
                f"This PDF has {page_count:,} pages, more than the {limits.pdf_pages:,} Buzzi reads from "
                "one file. Split it into smaller PDFs and upload those."
            )
        title = _title(reader)
    except BaseException:
        stream.close()
        raise
    blocks = _blocks(stream, reader, page_count)
    # A generator that is never started never runs its finally: close the file when it is dropped.
    weakref.finalize(blocks, stream.close)
    return Extraction(title=title, page_count=page_count, blocks=blocks)


def _check_objects(reader: PdfReader, limits: ReadingLimits) -> None:
    # The cross-reference table pypdf loaded when it opened the file: every object it can reach.
    objects = sum(len(table) for table in reader.xref.values()) + len(reader.xref_objStm)
    if objects > limits.pdf_objects:
        raise ParseError(
            f"This PDF is made of {objects:,} objects, more than the {limits.pdf_objects:,} Buzzi reads "
            "from one file. Split it into smaller PDFs, or print it to a new PDF, and upload again."
        )


def _open(stream: BinaryIO) -> PdfReader:
    try:
        reader = PdfReader(stream)
        # pypdf already tried the empty password; PDFs that only restrict printing open with it.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise CorruptFile(PROTECTED_REASON)
    except (DependencyError, NotImplementedError) as exc:
        # AES needs a crypto library this runtime does not ship; unknown handlers are unsupported.
        raise CorruptFile(ENCRYPTION_REASON) from exc
    return reader


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:
        # A broken Info dictionary costs the title, not the document.
        logger.info("Ignoring unreadable PDF metadata", exc_info=True)
        return None
    return str(title) if title else None


def _blocks(stream: BinaryIO, reader: PdfReader, page_count: int) -> Iterator[Block]:
    try:
        pages = _PageTexts(reader)
        readable_pages = 0
        for index in range(page_count):
            text = pages.extract(index)
            if text is None:
                continue
            readable_pages += 1
            for paragraph in _paragraphs(text):
                yield Block(paragraph, page_number=index + 1)
    finally:
        stream.close()
    if page_count and not readable_pages:
        raise CorruptFile(DAMAGED_PAGES_REASON)


def _paragraphs(page_text: str) -> list[str]:
    # Most PDFs yield no blank lines at all, and then the whole page is one section.
    return [part for part in _BLANK_LINE.split(page_text.replace("\x00", "")) if part.strip()]


class _PageTexts:
    """Extracts page text while keeping pypdf's object cache from growing with the page count.

    pypdf caches every object it parses (decoded content streams, images, fonts) for the life of
    the reader, so a long document would end up fully decoded in memory. After each page the
    objects it added are dropped; an object that comes back on a later page is shared (a font,
    a logo) and is kept from then on so it is not parsed again for every page.
    """

    def __init__(self, reader: PdfReader) -> None:
        self._reader = reader
        cache = getattr(reader, "resolved_objects", None)
        self._cache: dict[Any, Any] | None = cache if isinstance(cache, dict) else None
        self._dropped: set[Any] = set()

    def extract(self, index: int) -> str | None:
        """The page's text, or None when this page cannot be read (the others still can)."""
        known = len(self._cache) if self._cache is not None else 0
        try:
            return self._reader.pages[index].extract_text()
        except MemoryError:
            raise
        except Exception:
            logger.warning("Skipping unreadable PDF page %d", index + 1, exc_info=True)
            return None
        finally:
            self._forget_since(known)

    def _forget_since(self, known: int) -> None:
        if self._cache is None:
            return
        # Dicts keep insertion order, so this page's additions are the tail of the cache.
        for key in list(self._cache)[known:]:
            if key not in self._dropped:
                self._dropped.add(key)
                del self._cache[key]
