"""Secrets Manager reads, cached for the life of the container (boto3 imported lazily)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=16)
def secret_json(secret_arn: str) -> dict[str, Any]:
    import boto3

    # A fresh client, not the shared cache: secrets are read once, before anything else is set up.
    value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    parsed: dict[str, Any] = json.loads(value)
    return parsed
