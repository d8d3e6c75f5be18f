"""Field rules shared by request models."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator


def _not_null(cls: type, value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be null")
    return value


def refuse_null(*fields: str) -> Any:
    """A validator for fields a request may leave out but never set to null, because their column
    always holds a value (an empty list or object clears them). Defaults are not validated, so only
    an explicit null reaches it. Use: `_not_null = refuse_null("title", "content")`."""
    return field_validator(*fields, mode="before")(classmethod(_not_null))
