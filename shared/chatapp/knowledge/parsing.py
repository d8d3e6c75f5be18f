"""Turn an uploaded knowledge file into a stream of text sections that remember where they came from.

`parse_document` reads just enough up front to fail fast on files it cannot handle (wrong type,
garbage bytes, a password) and to report the title and page count. The text itself arrives
through `ParsedDocument.sections`, a generator: a large PDF is read a page at a time and text
files a line at a time, so memory follows the current section rather than the whole document.

Every failure the customer can do something about is a `ParseError` whose `reason` is safe to
show them, whether it is raised by `parse_document` or later while iterating the sections.
`OSError` (the path is missing or unreadable) and `MemoryError` pass through unchanged: they are
the platform's problem, not a fault of the uploaded file.

The format readers live in `chatapp.knowledge.parsers` and are imported on first use, so
importing this module costs nothing at cold start and pypdf/python-docx load only when needed.
"""

from __future__ import annotations

import importlib
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from chatapp.knowledge.limits import DEFAULT_LIMITS, ReadingLimits
from chatapp.knowledge.parse_errors import CorruptFile, ParseError, UnsupportedFileType
from chatapp.knowledge.parsers.base import Block, Extraction

if TYPE_CHECKING:
    from collections.abc import Callable

    _ReadFunction = Callable[[Path, ReadingLimits], Extraction]

logger = logging.getLogger(__name__)

_DOCX_MIME_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

SUPPORTED_MIME_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    _DOCX_MIME_TYPE: "docx",
    "text/html": "html",
    "text/markdown": "markdown",
    "text/plain": "text",
    "text/csv": "csv",
}

# Sections are joined with this to form the document's extracted text; offsets count it.
SECTION_SEPARATOR = "\n\n"

_EXTENSIONS: dict[str, str] = {
    ".pdf": "application/pdf",
    ".docx": _DOCX_MIME_TYPE,
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".csv": "text/csv",
}

_ALIASES: dict[str, str] = {
    "text/x-markdown": "text/markdown",
    "application/x-pdf": "application/pdf",
    "application/xhtml+xml": "text/html",
    "text/x-csv": "text/csv",
    "application/csv": "text/csv",
    "text/comma-separated-values": "text/csv",
}

# What clients send when they could not type the file: the extension is the better witness.
_UNTYPED = frozenset(
    {
        "",
        "application/octet-stream",
        "binary/octet-stream",
        "application/x-download",
        "application/force-download",
        "application/unknown",
    }
)

# Windows registers .csv to Excel, so browsers there declare this type for plain CSV uploads.
_EXCEL_MIME_TYPE = "application/vnd.ms-excel"

# Clients label any text file text/plain; a .md, .csv or .html name is more specific.
_TEXT_REFINEMENTS = frozenset({"text/markdown", "text/csv", "text/html"})

_KIND: dict[str, str] = {
    "pdf": "PDF",
    "docx": "Word",
    "html": "HTML",
    "markdown": "Markdown",
    "text": "text",
    "csv": "CSV",
}

_READERS: dict[str, tuple[str, str]] = {
    "pdf": ("chatapp.knowledge.parsers.pdf", "read_pdf"),
    "docx": ("chatapp.knowledge.parsers.word", "read_docx"),
    "html": ("chatapp.knowledge.parsers.html_page", "read_html"),
    "markdown": ("chatapp.knowledge.parsers.markdown", "read_markdown"),
    "text": ("chatapp.knowledge.parsers.plain_text", "read_plain_text"),
    "csv": ("chatapp.knowledge.parsers.csv_table", "read_csv"),
}

_NOTHING_EXTRACTED: dict[str, str] = {
    "pdf": "No text could be extracted from this PDF (is it a scanned image?). "
    "Upload a PDF with selectable text, or run it through text recognition (OCR) first.",
    "csv": "This CSV file has a header row but no data rows.",
}
_NOTHING_EXTRACTED_DEFAULT = "This file contains no text."


# Control characters other than tab and newline (C1 ones come from the latin-1 fallback):
# extraction noise that only confuses search.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = str.maketrans({"\r": "\n", "\f": "\n", "\v": "\n"})
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


@dataclass(frozen=True)
class Section:
    text: str
    page_number: int | None
    section_title: str | None
    start_offset: int


@dataclass
class ParsedDocument:
    title: str | None
    page_count: int | None
    sections: Iterator[Section]


def mime_type_for(filename: str, declared: str | None = None) -> str | None:
    """The supported MIME type for an upload, trusting a supported declared type over the name."""
    by_extension = _EXTENSIONS.get(_extension(filename))
    normalised = _normalise(declared)
    if normalised in SUPPORTED_MIME_TYPES:
        if normalised == "text/plain" and by_extension in _TEXT_REFINEMENTS:
            return by_extension
        return normalised
    if normalised in _UNTYPED or (normalised == _EXCEL_MIME_TYPE and by_extension == "text/csv"):
        return by_extension
    # The client named a type we do not read (image/png, ...): a .pdf name does not overrule it.
    return None


def parse_document(path: Path, mime_type: str, limits: ReadingLimits = DEFAULT_LIMITS) -> ParsedDocument:
    """Open `path` as `mime_type` and return its title, page count and a stream of sections.

    A file that would take more than `limits` to read fails with a ParseError saying so."""
    file_format = SUPPORTED_MIME_TYPES.get(_normalise(mime_type))
    if file_format is None:
        raise UnsupportedFileType()
    kind = _KIND[file_format]
    started = time.monotonic()
    try:
        extraction = _reader(file_format)(Path(path), limits)
    except (ParseError, OSError, MemoryError):
        raise
    except Exception as exc:
        raise _unreadable(kind, exc) from exc
    budget = _ReadingClock(kind, limits.parse_seconds, spent=time.monotonic() - started)
    return ParsedDocument(
        title=_tidy_title(extraction.title),
        page_count=extraction.page_count,
        sections=_sections(budget.timed(extraction.blocks), file_format),
    )


class _ReadingClock:
    """Counts the time spent inside the reader only: the consumer chunks and embeds between two
    sections, and that time is not the file's fault."""

    def __init__(self, kind: str, seconds: float, spent: float) -> None:
        self.kind, self.seconds, self.spent = kind, seconds, spent

    def timed(self, blocks: Iterator[Block]) -> Iterator[Block]:
        self._check()
        while True:
            started = time.monotonic()
            block = next(blocks, None)
            self.spent += time.monotonic() - started
            if block is None:
                return
            self._check()
            yield block

    def _check(self) -> None:
        if self.spent > self.seconds:
            minutes = f"{self.seconds / 60:g} minutes" if self.seconds >= 60 else f"{self.seconds:g} seconds"
            raise ParseError(
                f"Reading this {self.kind} file took longer than {minutes}, the most Buzzi spends on one "
                "file. Split it into smaller files, or save it again in a simpler form, and upload those."
            )


def _normalise(declared: str | None) -> str:
    bare = (declared or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(bare, bare)


def _extension(filename: str) -> str:
    # Old browsers send the full Windows path as the file name.
    return PurePosixPath(filename.strip().replace("\\", "/")).suffix.lower()


def _reader(file_format: str) -> _ReadFunction:
    module_name, function_name = _READERS[file_format]
    module = importlib.import_module(module_name)
    reader: _ReadFunction = getattr(module, function_name)
    return reader


def _sections(blocks: Iterator[Block], file_format: str) -> Iterator[Section]:
    """Number the readers' blocks and turn whatever goes wrong mid-stream into a ParseError."""
    kind = _KIND[file_format]
    offset = 0
    produced = False
    try:
        for block in blocks:
            text = _tidy_text(block.text)
            if not text:
                continue
            yield Section(
                text=text,
                page_number=block.page_number,
                section_title=_tidy_title(block.section_title),
                start_offset=offset,
            )
            offset += len(text) + len(SECTION_SEPARATOR)
            produced = True
    except (ParseError, OSError, MemoryError):
        raise
    except Exception as exc:
        raise _unreadable(kind, exc) from exc
    if not produced:
        raise ParseError(_NOTHING_EXTRACTED.get(file_format, _NOTHING_EXTRACTED_DEFAULT))


def _unreadable(kind: str, exc: Exception) -> CorruptFile:
    # The cause stays in the logs (and in __cause__); the customer gets a reason without internals.
    logger.warning("Could not parse a %s file", kind, exc_info=exc)
    return CorruptFile(
        f"This {kind} file could not be read. It may be damaged; try saving it again and re-uploading it."
    )


def _tidy_text(text: str) -> str:
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    text = _TRAILING_SPACE.sub("", _CONTROL_CHARACTERS.sub("", text))
    # Only blank lines go from the front: the first line's indentation matters in code blocks.
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


def _tidy_title(title: str | None) -> str | None:
    if title is None:
        return None
    return " ".join(_CONTROL_CHARACTERS.sub(" ", title).split()) or None
