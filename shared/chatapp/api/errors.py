"""The one place that turns errors into HTTP responses: `{"error": {"code", "message"}}`.

Statuses follow the error's class, never its message text. Unexpected errors become a
plain 500 and are logged by type only: no stack trace or secret reaches a caller or a log.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chatapp.api.error_models import ErrorDetail, ErrorResponse
from chatapp.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from chatapp.observability import logger

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    LimitExceeded: 402,  # a plan limit: upgrading (paying) lifts it
    RateLimited: 429,
}

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    # `code` and `message` always win: details can add facts, never replace the error itself.
    body = ErrorResponse(error=ErrorDetail(**{**extra, "code": code, "message": message}))
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        status_code=status, content=body.model_dump(mode="json", exclude_unset=True), headers=headers or None
    )


def _status_for(error: DomainError) -> int:
    for error_class in type(error).__mro__:
        if error_class in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[error_class]
    return 400


async def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return error_response(_status_for(error), error.code, error.message, headers, **error.details)


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # Field locations and messages only: the offending input is not echoed back.
    fields = [
        {"field": ".".join(str(part) for part in item.get("loc", ())), "message": item.get("msg", "")}
        for item in error.errors()
    ]
    return validation_error_response(fields)


def validation_error_response(fields: list[dict[str, str]]) -> JSONResponse:
    """422 invalid_input, with each field (`body.name`, `query.limit`) and what is wrong with it."""
    return error_response(422, "invalid_input", "Some fields are missing or not valid.", fields=fields)


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else "Request failed."
    return error_response(error.status_code, code, message)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error", extra={"error_type": type(error).__name__, "path": request.url.path})
    return error_response(500, "internal_error", "Something went wrong on our side. Please try again.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
