"""Plain text: paragraphs are runs of lines separated by blank lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parsers.base import Block, Extraction, detect_encoding, paragraphs, read_lines


def read_plain_text(path: Path, limits: ReadingLimits) -> Extraction:
    del limits  # text is no bigger than its upload: only the time cap (in `parsing`) applies
    encoding = detect_encoding(path)
    return Extraction(title=None, blocks=_blocks(path, encoding))


def _blocks(path: Path, encoding: str) -> Iterator[Block]:
    for paragraph in paragraphs(read_lines(path, encoding)):
        yield Block(paragraph)
