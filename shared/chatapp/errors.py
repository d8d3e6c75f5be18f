"""Domain errors raised by services. The API layer maps each class to one HTTP status.

Every error carries a stable machine-readable `code` and a human message safe to show
to the caller: never a stack trace, a SQL statement or a secret.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    default_message = "Something went wrong."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        # Machine-readable facts a client can act on (which limit, what would lift it); JSON values.
        self.details = details or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "invalid_input"
    default_message = "The request is not valid."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    default_message = "Sign in to continue: the credentials are missing, unknown or expired."


class Forbidden(DomainError):
    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    code = "not_found"
    default_message = "Nothing was found here."


class Conflict(DomainError):
    code = "conflict"
    default_message = "This conflicts with the current state."


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    default_message = "A plan limit has been reached."


class RateLimited(DomainError):
    code = "rate_limited"
    default_message = "Too many requests. Please wait a moment and try again."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        retry_after: int = 1,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after
