"""Markdown, line by line: ATX and Setext headings become section titles, paragraphs split on
blank lines, fenced code blocks stay intact, and inline markup is stripped just enough to read.

This is deliberately not a full CommonMark parser: it only has to find the block structure and
leave text a person (or a model) reads comfortably.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from chatapp.knowledge.limits import ReadingLimits
from chatapp.knowledge.parsers.base import Block, Extraction, detect_encoding, read_lines

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_QUOTE_MARKERS = re.compile(r"^ {0,3}(?:>[ \t]?)+")

_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# Escaped punctuation is parked in the private-use area while the markup rules run, then restored.
_PARK_OFFSET = 0xE000
_UNPARK = {_PARK_OFFSET + code: chr(code) for code in range(0x21, 0x7F)}

# Order matters: an image is a link with a "!" in front, so images go first; autolinks look like
# HTML tags, so they are unwrapped before tags are dropped.
_BEFORE_LINKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
)
_AFTER_LINKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"<([^@\s<>]+@[^@\s<>]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL), r"\1"),
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)", re.DOTALL), r"\1"),
    (re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])", re.DOTALL), r"\1"),
    (re.compile(r"(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)", re.DOTALL), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.DOTALL), r"\1"),
)
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_ABSOLUTE_URL = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)


class Heading(NamedTuple):
    level: int
    text: str


def read_markdown(path: Path, limits: ReadingLimits) -> Extraction:
    del limits  # text is no bigger than its upload: only the time cap (in `parsing`) applies
    encoding = detect_encoding(path)
    return Extraction(title=_title(path, encoding), blocks=_blocks(path, encoding))


def _title(path: Path, encoding: str) -> str | None:
    """The first level-1 heading; reading stops there."""
    events = markdown_events(read_lines(path, encoding))
    try:
        for event in events:
            if isinstance(event, Heading) and event.level == 1 and event.text:
                return event.text
    finally:
        events.close()
    return None


def _blocks(path: Path, encoding: str) -> Iterator[Block]:
    section_title: str | None = None
    for event in markdown_events(read_lines(path, encoding)):
        if isinstance(event, Heading):
            section_title = event.text or section_title
        else:
            yield Block(event, section_title=section_title)


def markdown_events(lines: Iterable[str]) -> Iterator[Heading | str]:
    """Headings and text blocks (paragraphs, code blocks) in document order."""
    paragraph: list[str] = []
    fence: _Fence | None = None
    for raw in lines:
        if fence is not None:
            if fence.closes(raw):
                yield "\n".join([*fence.lines, fence.unquoted(raw)])
                fence = None
            else:
                fence.lines.append(fence.unquoted(raw))
            continue
        line = _QUOTE_MARKERS.sub("", raw)
        if opening := _FENCE_OPEN.match(line):
            marker = opening["fence"]
            if not (marker[0] == "`" and "`" in opening["info"]):
                yield from _paragraph(paragraph)
                fence = _Fence(marker, quoted=line != raw, lines=[line])
                continue
        if heading := _ATX_HEADING.match(line):
            yield from _paragraph(paragraph)
            yield Heading(len(heading[1]), strip_inline_markup(heading[2] or ""))
        elif not line.strip():
            yield from _paragraph(paragraph)
        elif paragraph and _SETEXT_UNDERLINE.match(line):
            text = " ".join(part.strip() for part in paragraph)
            paragraph.clear()
            yield Heading(1 if "=" in line else 2, strip_inline_markup(text))
        elif _THEMATIC_BREAK.match(line):
            yield from _paragraph(paragraph)
        elif not ("|" in line and _TABLE_RULE.match(line)):
            paragraph.append(line)
    if fence is not None:
        # An unclosed fence runs to the end of the document, as CommonMark says.
        yield "\n".join(fence.lines)
    yield from _paragraph(paragraph)


def strip_inline_markup(text: str) -> str:
    """Drop emphasis, link and image syntax and inline HTML; code spans keep their content as is."""
    parts: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_strip_outside_code(text[position : span.start()]))
        parts.append(span[2].strip() or span[2])
        position = span.end()
    parts.append(_strip_outside_code(text[position:]))
    return "".join(parts).strip()


def _paragraph(lines: list[str]) -> Iterator[str]:
    if lines:
        text = strip_inline_markup("\n".join(lines))
        lines.clear()
        yield text


def _strip_outside_code(text: str) -> str:
    text = _ESCAPED.sub(lambda match: chr(_PARK_OFFSET + ord(match[1])), text)
    for pattern, replacement in _BEFORE_LINKS:
        text = pattern.sub(replacement, text)
    text = _LINK.sub(_render_link, text)
    for pattern, replacement in _AFTER_LINKS:
        text = pattern.sub(replacement, text)
    return text.translate(_UNPARK)


def _render_link(match: re.Match[str]) -> str:
    label, url = match[1].strip(), match[2]
    # An absolute URL is worth keeping (the bot can hand it out); a relative one means nothing.
    if _ABSOLUTE_URL.match(url) and url != label:
        return f"{label} ({url})" if label else url
    return label or url


class _Fence:
    def __init__(self, marker: str, *, quoted: bool, lines: list[str]) -> None:
        self._closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        self._quoted = quoted
        self.lines = lines

    def unquoted(self, raw: str) -> str:
        # A fence opened inside a blockquote carries the quote markers on every line.
        return _QUOTE_MARKERS.sub("", raw, count=1) if self._quoted else raw

    def closes(self, raw: str) -> bool:
        return bool(self._closing.match(self.unquoted(raw)))
