"""Typed settings, read once per process from the environment.

Outside development and test the settings refuse unsafe defaults: a missing database,
development sign-in left on, or a wildcard CORS origin stop the process at start-up
rather than surfacing later as a security hole.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    service_name: str = Field(default="buzzi", alias="POWERTOOLS_SERVICE_NAME")
    version: str = Field(default="0.1.0", alias="BUZZI_VERSION")

    # Owner URL: migrations and seeding. The application never queries with it.
    database_url: str | None = None
    # Application URL: a role that does not own the tables and has no BYPASSRLS.
    database_app_url: str | None = None
    # Deployed stacks keep credentials in Secrets Manager (RDS secret JSON shape).
    database_secret_arn: str | None = None
    database_app_secret_arn: str | None = None
    database_host: str | None = None
    database_name: str = "buzzi"
    app_db_role: str = "buzzi_app"
    app_db_password: str | None = None
    db_pool_size: int = Field(default=2, ge=1, le=50)

    # Knowledge: embeddings, vector store, file storage, ingestion queue.
    embedding_provider: Literal["minilm", "bedrock"] = "minilm"
    bedrock_embedding_dimensions: int = 1024
    qdrant_url: str | None = None  # a Qdrant server (Qdrant Cloud, AWS); unset = the embedded engine
    qdrant_api_key_secret_arn: str | None = None
    qdrant_api_key: str | None = None
    qdrant_path: str = ".buzzi/qdrant"  # the embedded engine's directory (one process owns it)
    model_cache_path: str = ".buzzi/models"  # the offline embedding model, optimised once for this CPU
    knowledge_bucket: str = "buzzi-knowledge"
    ingest_queue_url: str | None = None

    session_ttl_hours: int = Field(default=24 * 7, ge=1)
    allow_dev_sessions: bool = False
    # Comma-separated in the environment (the template joins a CommaDelimitedList).
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.environment not in (Environment.STAGING, Environment.PRODUCTION):
            return self
        problems: list[str] = []
        if not (self.database_app_url or self.database_app_secret_arn):
            problems.append("DATABASE_APP_URL or DATABASE_APP_SECRET_ARN must be set")
        if self.allow_dev_sessions:
            problems.append("ALLOW_DEV_SESSIONS must be off")
        if not self.qdrant_url:
            problems.append("QDRANT_URL must be set (the embedded Qdrant engine is for local use)")
        if self.embedding_provider != "bedrock":
            problems.append(
                "EMBEDDING_PROVIDER must be bedrock (the offline model is not in any Lambda layer)"
            )
        if "*" in self.cors_allowed_origins:
            problems.append("CORS_ALLOWED_ORIGINS must not contain '*'")
        for url in (self.database_url, self.database_app_url):
            if url and ("host=/" in url or "@localhost" in url or "@127.0.0.1" in url):
                problems.append("database URLs must not point at a local or embedded server")
        if problems:
            raise ValueError(f"unsafe {self.environment} settings: " + "; ".join(problems))
        return self

    @property
    def is_local(self) -> bool:
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
