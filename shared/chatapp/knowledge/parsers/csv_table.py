"""CSV: the first row names the columns; every data row becomes "column: value; column: value".

Rendering each row with its column names keeps a row meaningful on its own once it is chunked
and retrieved without the rest of the table.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parse_errors import ParseError
from chatapp.knowledge.parsers.base import Block, Extraction, detect_encoding

EMPTY_REASON = "This CSV file is empty."

_SNIFF_SIZE = 32 * 1024
_DELIMITERS = ",;\t|"
_FIELD_SEPARATOR = "; "


def read_csv(path: Path, limits: ReadingLimits) -> Extraction:
    del limits  # text is no bigger than its upload: only the time cap (in `parsing`) applies
    encoding = detect_encoding(path)
    delimiter = _delimiter(path, encoding)
    header = _header(path, encoding, delimiter)
    return Extraction(title=None, blocks=_blocks(path, encoding, delimiter, header))


def _delimiter(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        sample = stream.read(_SNIFF_SIZE)
    if len(sample) == _SNIFF_SIZE:
        # A row cut in half misleads the sniffer about quoting and field counts.
        sample = sample[: sample.rfind("\n") + 1] or sample
    first_line = sample.lstrip("\r\n").split("\n", 1)[0]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # Ragged rows defeat the sniffer; the header line alone is still a good witness.
        sniffed = max(_DELIMITERS, key=first_line.count)
    # The sniffer can pick a character the header never uses (one-column files): comma is saner.
    return sniffed if sniffed in first_line else ","


def _rows(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    """Rows with at least one non-blank cell, cells stripped."""
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        # Only the delimiter is taken from the sniffer: it guesses doublequote=False on files without
        # quotes, which would misread the RFC 4180 "" escape in later rows.
        for row in csv.reader(stream, csv.excel, delimiter=delimiter, skipinitialspace=True):
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield cells


def _header(path: Path, encoding: str, delimiter: str) -> list[str]:
    rows = _rows(path, encoding, delimiter)
    try:
        first = next(rows, None)
    finally:
        rows.close()
    if first is None:
        raise ParseError(EMPTY_REASON)
    return [name or _column_name(index) for index, name in enumerate(first)]


def _blocks(path: Path, encoding: str, delimiter: str, header: list[str]) -> Iterator[Block]:
    title = ", ".join(header)
    rows = _rows(path, encoding, delimiter)
    next(rows, None)  # the header, read again because this pass streams from the top
    for row in rows:
        yield Block(_render(header, row), section_title=title)


def _render(header: list[str], row: list[str]) -> str:
    pairs = (
        f"{header[index] if index < len(header) else _column_name(index)}: {value}"
        for index, value in enumerate(row)
        if value
    )
    return _FIELD_SEPARATOR.join(pairs)


def _column_name(index: int) -> str:
    return f"column {index + 1}"
