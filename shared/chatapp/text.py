"""Small text helpers shared by services."""

from __future__ import annotations

import re
import unicodedata


def slugify(value: str, *, max_length: int = 100) -> str:
    """'Returns & Refunds' -> 'returns-refunds' (ASCII, lower case, hyphen-separated)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"
