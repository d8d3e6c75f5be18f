"""Attack: making the agent runtime fetch a package from anywhere.

An agent's `custom_package_url` is fetched by the server (`agent_runtime/packages.fetch`). Only
the platform's master admins may set it (company admins get 403), but any `s3://` bucket the
runtime's role could read, or any URL string, was accepted and fetched: a confused-deputy read of
other buckets, and a step towards SSRF should fetch ever learn another scheme.

Buzzi withstands it: a package URL must name the configured packages bucket
(`AGENT_PACKAGES_BUCKET`), or in local development and tests a `file://` path; anything else is
refused when it is set (400 `package_url_not_allowed`) and again when it is fetched.
"""

from __future__ import annotations

import pytest

from chatapp.agent_runtime import packages
from chatapp.config import get_settings
from tests.integration.http import ApiClient
from tests.integration.tenant_data import Tenants

HASH = "a" * 64
REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "https://packages.example.com/agent.zip",
    "s3://someone-elses-bucket/agent.zip",
    "s3:///agent.zip",
    "ftp://example.com/agent.zip",
]


def _set(api: ApiClient, token: str, agent_id: object, url: str) -> object:
    return api.request(
        "PATCH",
        f"/v1/agents/{agent_id}",
        token=token,
        json_body={"custom_package_url": url, "custom_package_hash": HASH},
    )


def test_company_admins_cannot_set_a_package_url(api: ApiClient, tenants: Tenants) -> None:
    url = f"s3://{get_settings().agent_packages_bucket}/x/{HASH}.zip"
    response = _set(api, tenants.a.tokens["admin"], tenants.a.agent_id, url)
    assert response.status == 403  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", REFUSED)
def test_package_urls_outside_the_packages_bucket_are_refused_when_set(
    api: ApiClient, tenants: Tenants, url: str
) -> None:
    response = _set(api, tenants.master_admin_token, tenants.b.agent_id, url)
    assert response.status == 400, f"{url} was accepted: {response.body}"  # type: ignore[attr-defined]
    assert response.body["error"]["code"] == "package_url_not_allowed"  # type: ignore[attr-defined]


def test_the_packages_bucket_is_accepted(api: ApiClient, tenants: Tenants) -> None:
    url = f"s3://{get_settings().agent_packages_bucket}/custom/{HASH}.zip"
    response = _set(api, tenants.master_admin_token, tenants.b.agent_id, url)
    assert response.status == 200, response.body  # type: ignore[attr-defined]
    cleared = api.request(
        "PATCH",
        f"/v1/agents/{tenants.b.agent_id}",
        token=tenants.master_admin_token,
        json_body={"custom_package_url": None, "custom_package_hash": None},
    )
    assert cleared.status == 200, cleared.body


@pytest.mark.parametrize("url", REFUSED)
def test_package_urls_outside_the_packages_bucket_are_never_fetched(url: str) -> None:
    with pytest.raises(packages.PackageError, match=r"not allowed|neither"):
        packages.fetch(url)


def test_file_urls_are_refused_outside_local_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A deployed runtime loads packages from the packages bucket only: a `file://` URL would import
    whatever the Lambda's file system holds (the runtime's own code, /tmp written by a request)."""
    for name, value in {
        "ENVIRONMENT": "production",
        "DATABASE_APP_URL": "postgresql+psycopg://app@db.internal/buzzi",
        "QDRANT_URL": "https://qdrant.internal:6333",
        "EMBEDDING_PROVIDER": "bedrock",
        "ANTHROPIC_API_KEY": "sk-test-not-used",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert not get_settings().is_local
        with pytest.raises(packages.PackageError, match="not allowed"):
            packages.fetch("file:///etc/hostname")
        with pytest.raises(packages.PackageError, match="not allowed"):
            packages.check_package_url("file:///tmp/agent.zip", bucket="packages", local=False)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert packages.check_package_url("file:///tmp/agent.zip", bucket="packages", local=True)
