"""Zip-based formats (DOCX): refuse an archive by what it declares, before anything is unpacked.

The sizes come from the central directory. zipfile stops an entry at its declared size (and then
fails its CRC check), so an archive that lies about its sizes cannot unpack to more than it said.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from chatapp.knowledge.limits import MB, ReadingLimits
from chatapp.knowledge.parse_errors import ParseError

_MARKUP_SUFFIXES = (".xml", ".rels")


def check_archive(path: Path, limits: ReadingLimits, kind: str) -> None:
    """Raise ParseError when the archive at `path` would take more to read than `limits` allow.

    `kind` names the format for the reason ("Word document"). zipfile.BadZipFile passes through
    for the caller's own "not a readable file" reason."""
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    if len(entries) > limits.archive_entries:
        raise ParseError(
            f"This {kind} is made of {len(entries):,} parts, more than the {limits.archive_entries:,} "
            "Buzzi reads from one file. Split it into smaller documents and upload those."
        )
    unpacked = sum(entry.file_size for entry in entries)
    markup = sum(entry.file_size for entry in entries if entry.filename.lower().endswith(_MARKUP_SUFFIXES))
    packed = path.stat().st_size
    if markup > limits.archive_markup_bytes:
        raise _too_big(kind, markup, "text and markup", limits.archive_markup_bytes, packed)
    if unpacked > limits.archive_unpacked_bytes:
        raise _too_big(kind, unpacked, "content", limits.archive_unpacked_bytes, packed)
    for entry in entries:
        if (
            entry.file_size > limits.archive_ratio_floor_bytes
            and entry.file_size > limits.archive_packing_ratio * max(entry.compress_size, 1)
        ):
            raise ParseError(
                f"This {kind} is packed in a way real documents never are (one part unpacks to "
                f"{_mb(entry.file_size)} from {_mb(entry.compress_size)}). Open it and save it again, "
                "then upload the new copy."
            )


def _too_big(kind: str, size: int, what: str, cap: int, packed: int) -> ParseError:
    return ParseError(
        f"This {kind} unpacks to {_mb(size)} of {what} (it is {_mb(packed)} on disk), more than the "
        f"{_mb(cap)} Buzzi reads from one file. Split it into smaller documents and upload those."
    )


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size >= MB else f"{max(size, 1) / 1024:,.0f} KB"
