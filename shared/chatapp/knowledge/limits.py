"""How much of the ingest worker one uploaded file may take to read.

The plan's `maxFileSize` bounds the bytes uploaded, not what they turn into: a 100 KB Word file can
unpack to 50 MB of markup and a parsed tree several times that, and one worker reads a batch of
files from several companies, so a single file must not be able to exhaust its memory or its time.
The defaults leave room for any honest document (a 1,000-page manual is far inside them).
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadingLimits:
    # Zip-based formats (DOCX). zipfile never yields more than an entry declares, so the
    # declared sizes, checked before anything is unpacked, are real bounds.
    archive_entries: int = 5_000
    archive_unpacked_bytes: int = 400 * MB  # python-docx holds every part in memory
    archive_markup_bytes: int = 40 * MB  # XML parts become trees ~5x their size
    archive_packing_ratio: int = 200  # honest XML packs ~5-30x; only crafted entries reach this
    archive_ratio_floor_bytes: int = 1 * MB  # tiny entries may pack as tightly as they like
    # PDFs: read lazily page by page, but the page tree and cross-reference table come up front.
    pdf_pages: int = 5_000
    pdf_objects: int = 2_000_000
    # Time spent inside the reader (not in chunking or embedding), for every format.
    parse_seconds: float = 120.0


DEFAULT_LIMITS = ReadingLimits()
