"""The one error body every Buzzi API answers with: `{"error": {"code", "message", "fields"?, ...}}`.

`chatapp.api.errors` builds every error response from these models, and `chatapp.api.openapi`
documents them on every operation, so what the APIs say and what they send cannot drift apart.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


class FieldError(BaseModel):
    field: str = Field(
        description="Where the problem is: `body.name`, `body.rag_config.chunkSize`, `query.limit`, "
        "`path.agent_id`, `header.origin`.",
        examples=["body.name"],
    )
    message: str = Field(description="What is wrong with it, for people.")


class ErrorDetail(BaseModel):
    # Some errors add facts a client can act on (a plan limit names `limit`, `allowed`, `used` and the
    # `upgrade` that lifts it): they are extra keys next to `code` and `message`.
    model_config = ConfigDict(extra="allow")

    code: str = Field(
        description="Stable and machine-readable (`agent_not_found`, `permission_denied`, "
        "`invalid_input`, `rate_limited`, ...): branch on it, never on the message.",
        examples=["agent_not_found"],
    )
    message: str = Field(description="For people, safe to show; it may be reworded at any time.")
    # Absent rather than null when there is nothing to list.
    fields: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None, description="Invalid input only (422): each field and what is wrong with it."
    )


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ValidationErrorDetail(ErrorDetail):
    code: str = Field(description="`invalid_input`.", examples=["invalid_input"])
    fields: list[FieldError] = Field(description="Each invalid field and what is wrong with it.")


class ValidationErrorResponse(BaseModel):
    error: ValidationErrorDetail
