"""Why a file cannot become knowledge: raised by the format readers (`parsers`) and by `parsing`,
each with a reason written for the customer who uploaded it."""

from __future__ import annotations

UNSUPPORTED_REASON = (
    "This file type is not supported. Upload a PDF, Word (.docx), HTML, Markdown, plain text or CSV file."
)


class ParseError(Exception):
    """A file that cannot become knowledge; `reason` is written for the customer who uploaded it."""

    default_reason = "This file could not be read."

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason or self.default_reason
        super().__init__(self.reason)


class UnsupportedFileType(ParseError):
    default_reason = UNSUPPORTED_REASON


class CorruptFile(ParseError):
    default_reason = "This file appears to be damaged and could not be read."
