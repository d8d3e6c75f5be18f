"""What every reader returns, and the text-file plumbing the text formats share.

A reader does its cheap checks eagerly (so a bad file fails in `parse_document`) and returns an
`Extraction` whose `blocks` generator does the bulk of the reading, only as it is iterated.
Blocks carry raw text; `parsing` tidies it, drops empty blocks and assigns offsets.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from chatapp.knowledge.parse_errors import CorruptFile, ParseError

NOT_TEXT_REASON = (
    "This does not look like a text file. Upload it in its original format "
    "(PDF, Word, HTML, Markdown, plain text or CSV)."
)

_CHUNK_SIZE = 64 * 1024
# More control bytes than this in the first chunk means a binary file, whatever its name.
_MAX_CONTROL_RATIO = 0.05
_CONTROL_BYTES = frozenset([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_OTHER_BYTES = bytes(byte for byte in range(256) if byte not in _CONTROL_BYTES)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Tried in order without a BOM. latin-1 decodes any byte, so it is the last resort, not a candidate.
_CANDIDATES = ("utf-8", "cp1252")
_LAST_RESORT = "latin-1"


class Block(NamedTuple):
    text: str
    page_number: int | None = None
    section_title: str | None = None


@dataclass(frozen=True)
class Extraction:
    title: str | None
    blocks: Iterator[Block]
    page_count: int | None = None


@contextmanager
def library_errors(reason: str) -> Iterator[None]:
    """Read a file through a third-party parser: anything it raises means the bytes are bad.

    Open the file outside this block: an OSError from `open` is ours, while one raised inside
    (pypdf and zipfile seek to offsets they read from the file) says the file is broken.
    """
    try:
        yield
    except (ParseError, MemoryError):
        raise
    except Exception as exc:
        raise CorruptFile(reason) from exc


def detect_encoding(path: Path) -> str:
    """The codec that decodes the whole file, or CorruptFile if it is not text at all.

    One streaming pass: a file valid as UTF-8 is UTF-8; otherwise Windows exports are usually
    cp1252, and latin-1 accepts whatever is left rather than failing on a stray byte.
    """
    with path.open("rb") as stream:
        first = stream.read(_CHUNK_SIZE)
        bom_encoding = next((name for bom, name in _BOMS if first.startswith(bom)), None)
        if bom_encoding is not None:
            _check_declared_unicode(stream, first, bom_encoding)
            return bom_encoding
        if _looks_binary(first):
            raise CorruptFile(NOT_TEXT_REASON)
        return _first_decoding_candidate(stream, first)


def read_lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's lines without their line ends, read lazily."""
    # Decoding was checked by detect_encoding; "replace" only matters if the file changed since.
    with path.open(encoding=encoding, errors="replace", newline=None) as stream:
        for line in stream:
            yield line.rstrip("\n")


def paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Runs of non-blank lines, each joined back into one string."""
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            yield "\n".join(current)
            current = []
    if current:
        yield "\n".join(current)


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    control = len(sample.translate(None, _OTHER_BYTES))  # deleting the rest counts them in C
    return control > len(sample) * _MAX_CONTROL_RATIO


def _check_declared_unicode(stream: BinaryIO, first: bytes, encoding: str) -> None:
    """A BOM promises an encoding: hold the file to it, and reject NULs hidden inside it."""
    decoder = codecs.getincrementaldecoder(encoding)()
    chunk = first
    while True:
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise CorruptFile(NOT_TEXT_REASON) from exc
        if "\x00" in text:
            raise CorruptFile(NOT_TEXT_REASON)
        if not chunk:
            return
        chunk = stream.read(_CHUNK_SIZE)


def _first_decoding_candidate(stream: BinaryIO, first: bytes) -> str:
    decoders = {name: codecs.getincrementaldecoder(name)() for name in _CANDIDATES}
    chunk = first
    while True:
        # Every chunk is checked for NULs even once no candidate is left: binary tails count too.
        if b"\x00" in chunk:
            raise CorruptFile(NOT_TEXT_REASON)
        for name, decoder in list(decoders.items()):
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                del decoders[name]
        if not chunk:
            break
        chunk = stream.read(_CHUNK_SIZE)
    return next((name for name in _CANDIDATES if name in decoders), _LAST_RESORT)
