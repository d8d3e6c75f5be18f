"""HTML with the standard library's tokenizer: visible text in paragraphs, headings as titles.

The file is fed to the tokenizer in chunks and finished paragraphs are handed out after each
chunk, so a large page never has to be held as one string. html.parser tolerates broken markup
by design, so malformed pages still give their text instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parsers.base import Block, Extraction, detect_encoding

_CHUNK_SIZE = 64 * 1024

# Never customer-facing knowledge: code, styling, site chrome repeated on every page.
_SKIPPED = frozenset({"script", "style", "nav", "footer", "noscript", "template", "svg"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = frozenset(
    {
        "p", "li", "div", "tr", "br", "section", "article", "ul", "ol", "dl", "dt", "dd", "table",
        "thead", "tbody", "tfoot", "caption", "blockquote", "header", "main", "aside", "figure",
        "figcaption", "form", "fieldset", "details", "summary", "address", "hr", "body",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_CELL_SEPARATOR = " | "


def read_html(path: Path, limits: ReadingLimits) -> Extraction:
    del limits  # text is no bigger than its upload: only the time cap (in `parsing`) applies
    encoding = detect_encoding(path)
    return Extraction(title=_title(path, encoding), blocks=_blocks(path, encoding))


def _chunks(path: Path, encoding: str) -> Iterator[str]:
    with path.open(encoding=encoding, errors="replace") as stream:
        while chunk := stream.read(_CHUNK_SIZE):
            yield chunk


def _title(path: Path, encoding: str) -> str | None:
    """<title>, else the first <h1>; stops reading as soon as either is known."""
    collector = _TextCollector()
    for chunk in _chunks(path, encoding):
        collector.feed(chunk)
        collector.blocks.clear()
        if collector.title or collector.first_h1:
            break
    else:
        collector.close()
    return collector.title or collector.first_h1


def _blocks(path: Path, encoding: str) -> Iterator[Block]:
    collector = _TextCollector()
    for chunk in _chunks(path, encoding):
        collector.feed(chunk)
        yield from collector.drain()
    collector.close()
    yield from collector.drain()


class _TextCollector(HTMLParser):
    """Accumulates the visible text of the current block and queues each finished block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title: str | None = None
        self.first_h1: str | None = None
        self._section_title: str | None = None
        self._skip_depth = 0
        self._pre_depth = 0
        self._text: list[str] = []
        self._has_text = False
        self._heading: list[str] | None = None
        self._title_text: list[str] | None = None

    def drain(self) -> list[Block]:
        finished, self.blocks = self.blocks, []
        return finished

    def close(self) -> None:
        super().close()
        self._flush()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif self._skip_depth:
            return
        elif tag == "title" and self.title is None:
            self._title_text = []
        elif tag in _HEADINGS:
            self._flush()
            self._heading = []
        elif tag == "pre":
            self._flush()
            self._pre_depth += 1
        elif tag in _CELLS and self._has_text and not self._pre_depth:
            self._text.append(_CELL_SEPARATOR)
        elif tag in _BLOCKS and self._heading is None and not self._pre_depth:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif self._skip_depth:
            return
        elif tag == "title" and self._title_text is not None:
            self.title = _collapse("".join(self._title_text)) or None
            self._title_text = None
        elif tag in _HEADINGS and self._heading is not None:
            self._end_heading(tag)
        elif tag == "pre" and self._pre_depth:
            self._flush(verbatim=True)
            self._pre_depth -= 1
        elif tag in _BLOCKS and self._heading is None and not self._pre_depth:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._title_text is not None:
            self._title_text.append(data)
        elif self._heading is not None:
            self._heading.append(data)
        else:
            self._text.append(data)
            self._has_text = self._has_text or bool(data.strip())

    def _end_heading(self, tag: str) -> None:
        text = _collapse("".join(self._heading or []))
        self._heading = None
        if not text:
            return
        self._section_title = text
        if tag == "h1" and self.first_h1 is None:
            self.first_h1 = text

    def _flush(self, *, verbatim: bool = False) -> None:
        if self._has_text:
            raw = "".join(self._text)
            # Inside <pre> line breaks and indentation are the content (code, addresses, tables).
            text = raw.strip("\n") if verbatim else _collapse(raw)
            self.blocks.append(Block(text, section_title=self._section_title))
        self._text = []
        self._has_text = False


def _collapse(text: str) -> str:
    return " ".join(text.split())
