from __future__ import annotations

import pytest
from pydantic import ValidationError

from chatapp.config import Settings


def test_local_defaults_are_accepted() -> None:
    settings = Settings(environment="development", database_url="postgresql+psycopg://postgres@/x?host=/tmp")
    assert settings.is_local


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({}, "DATABASE_APP_URL or DATABASE_APP_SECRET_ARN"),
        ({"database_app_secret_arn": "arn:x", "allow_dev_sessions": True}, "ALLOW_DEV_SESSIONS"),
        ({"database_app_secret_arn": "arn:x", "cors_allowed_origins": ("*",)}, "CORS_ALLOWED_ORIGINS"),
        ({"database_app_secret_arn": "arn:x", "allow_loopback_urls": True}, "ALLOW_LOOPBACK_URLS"),
        ({"database_app_url": "postgresql+psycopg://app@/buzzi?host=/work/.buzzi"}, "local or embedded"),
        ({"database_app_secret_arn": "arn:x"}, "QDRANT_URL"),
        ({"database_app_secret_arn": "arn:x", "embedding_provider": "minilm"}, "EMBEDDING_PROVIDER"),
        ({"database_app_secret_arn": "arn:x"}, "ANTHROPIC_API_KEY_SECRET_ARN"),
        ({"database_app_secret_arn": "arn:x", "answerer": "offline"}, "ANSWERER=offline"),
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(environment="production", **overrides)


def test_production_with_secrets_is_accepted() -> None:
    settings = Settings(
        environment="production",
        database_app_secret_arn="arn:aws:secretsmanager:x",
        qdrant_url="https://qdrant.example.com",
        embedding_provider="bedrock",
        anthropic_api_key_secret_arn="arn:aws:secretsmanager:key",
    )
    assert not settings.is_local
    assert settings.uses_language_model


def test_the_offline_answerer_is_chosen_only_locally_and_explicitly_or_without_a_key() -> None:
    assert not Settings(environment="development").uses_language_model
    assert Settings(environment="development", anthropic_api_key="k").uses_language_model
    assert not Settings(
        environment="development", anthropic_api_key="k", answerer="offline"
    ).uses_language_model


def test_cors_origins_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://console.buzzi.ai, https://app.example.com")
    settings = Settings(environment="development")
    assert settings.cors_allowed_origins == ("https://console.buzzi.ai", "https://app.example.com")


def test_loopback_urls_are_a_local_default_and_a_separate_switch() -> None:
    assert Settings(environment="test").loopback_urls_allowed
    assert not Settings(environment="test", allow_loopback_urls=False).loopback_urls_allowed
    assert not Settings(
        environment="production",
        database_app_secret_arn="arn:aws:secretsmanager:x",
        qdrant_url="https://q.example",
        embedding_provider="bedrock",
        anthropic_api_key_secret_arn="arn:aws:secretsmanager:y",
    ).loopback_urls_allowed
