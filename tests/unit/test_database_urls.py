"""Deployed functions read database credentials from Secrets Manager (moto), never from parameters."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from chatapp.config import Settings
from chatapp.db.engine import app_url, owner_url
from chatapp.integrations.secrets import secret_json


@pytest.fixture(autouse=True)
def _fresh_secret_cache() -> None:
    secret_json.cache_clear()


@mock_aws
def test_app_url_comes_from_the_secret_with_the_proxy_host_and_tls() -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    arn = client.create_secret(
        Name="buzzi/dev/database/app",
        SecretString=json.dumps(
            {
                "username": "buzzi_app",
                "password": "p@ss word",
                "host": "cluster.internal",
                "port": 5432,
                "dbname": "buzzi",
            }
        ),
    )["ARN"]
    settings = Settings(
        environment="production",
        database_app_secret_arn=arn,
        database_host="proxy.internal",
        qdrant_url="https://qdrant.example.com",
        embedding_provider="bedrock",
        anthropic_api_key_secret_arn="arn:aws:secretsmanager:anthropic",
    )
    url = app_url(settings)
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "buzzi_app",
        "p@ss word",
        "proxy.internal",
        5432,
        "buzzi",
    )
    assert url.query["sslmode"] == "require"
    assert "p@ss word" not in repr(url)


@mock_aws
def test_owner_url_falls_back_to_the_secrets_host() -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    arn = client.create_secret(
        Name="owner",
        SecretString=json.dumps({"username": "buzzi_owner", "password": "x", "host": "cluster.internal"}),
    )["ARN"]
    settings = Settings(
        environment="staging",
        database_url=None,
        database_secret_arn=arn,
        database_app_secret_arn=arn,
        qdrant_url="https://qdrant.example.com",
        embedding_provider="bedrock",
        anthropic_api_key_secret_arn="arn:aws:secretsmanager:anthropic",
    )
    url = owner_url(settings)
    assert (url.username, url.host, url.port, url.database) == (
        "buzzi_owner",
        "cluster.internal",
        5432,
        "buzzi",
    )


def test_without_any_database_configuration_the_error_is_clear() -> None:
    with pytest.raises(RuntimeError, match="DATABASE_URL or DATABASE_SECRET_ARN"):
        owner_url(Settings(environment="development", database_url=None))
