"""boto3 clients, created on first use and reused for the life of the container.

boto3 honours AWS_ENDPOINT_URL, which points every client at moto's server when run locally.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=8)
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)
