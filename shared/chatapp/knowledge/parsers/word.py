"""Word (.docx): body paragraphs and tables in document order; headings become section titles.

python-docx loads the whole package when it opens it, so this reader cannot stream the file;
it streams only the rendering of the already-loaded document. That is why the archive is checked
against the reading limits first (`parsers.archive`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parsers.archive import check_archive
from chatapp.knowledge.parsers.base import Block, Extraction, library_errors

NOT_A_DOCX_REASON = (
    "This file is not a readable Word document (.docx). It may be damaged; "
    "if it is an older .doc file, save it as .docx and upload it again."
)

# Built-in style names are stored in English whatever the language of Word's interface.
_HEADING_STYLE = re.compile(r"^(?:heading [1-9]|title)$", re.IGNORECASE)
_CELL_SEPARATOR = " | "


def read_docx(path: Path, limits: ReadingLimits) -> Extraction:
    with library_errors(NOT_A_DOCX_REASON):
        check_archive(path, limits, "Word document")
    with path.open("rb") as stream, library_errors(NOT_A_DOCX_REASON):
        document = docx.Document(stream)
        title = _text_or_none(document.core_properties.title) or _first_heading(document)
    return Extraction(title=title, blocks=_blocks(document))


def _blocks(document: Document) -> Iterator[Block]:
    section_title: str | None = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            yield Block(_table_text(item), section_title=section_title)
        elif _is_heading(item):
            # Heading text lives on as the title of the sections that follow it.
            section_title = _text_or_none(item.text) or section_title
        else:
            yield Block(item.text, section_title=section_title)


def _first_heading(document: Document) -> str | None:
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph) and _is_heading(item) and item.text.strip():
            return item.text
    return None


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style
    return style is not None and bool(_HEADING_STYLE.match(style.name or ""))


def _table_text(table: Table) -> str:
    rows = (_row_text(row.cells) for row in table.rows)
    return "\n".join(row for row in rows if row)


def _row_text(cells: list[_Cell]) -> str:
    texts: list[str] = []
    previous: _Cell | None = None
    for cell in cells:
        # A horizontally merged cell is returned once per grid column it spans.
        if previous is not None and cell._tc is previous._tc:
            continue
        previous = cell
        texts.append(" ".join(cell.text.split()))
    return _CELL_SEPARATOR.join(texts) if any(texts) else ""


def _text_or_none(text: str | None) -> str | None:
    return (text.strip() or None) if text else None
