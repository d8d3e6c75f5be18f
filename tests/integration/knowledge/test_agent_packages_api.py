"""Agent packages: master admins publish to (moto's) S3 and curate the catalogue; agents resolve
their package; the loader runs what was published and nothing else.

Packages are global rows: every test uses its own slugs, and the default flag is put back as
each test found it, so tests elsewhere that rely on the default package are unaffected.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from chatapp.agent_runtime import packages
from chatapp.agent_runtime.packages import PackageIntegrityError, load_entry_point
from chatapp.agents import package_catalogue
from chatapp.agents.package_schemas import PackagePublishIn
from chatapp.config import get_settings
from chatapp.db.models.agents import Agent, AgentPackage
from chatapp.db.tenancy import TenantContext, tenant_session
from chatapp.errors import NotFound
from chatapp.identity import authentication
from tests.integration.http import ApiClient, ApiResponse
from tests.integration.knowledge.conftest import LocalAws
from tests.integration.tenant_data import CompanyData, Tenants, create_company, create_platform_rows

ADMIN_PATH = "/v1/admin/agent-packages"


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in sorted(files.items()):
            # A fixed timestamp: the same files must make the same bytes, even across a clock tick.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


def agent_zip(reply: str) -> bytes:
    return zip_of(
        {
            "agent.py": "from .style import polish\n\ndef respond(turn, runtime):\n    return polish(turn)\n",
            "style.py": f"def polish(text):\n    return f'{reply}: {{text}}'\n",
        }
    )


def new_slug(label: str) -> str:
    return f"test-{label}-{uuid.uuid4().hex[:8]}"


def publish(
    api: ApiClient, token: str, slug: str, zip_bytes: bytes, version: str = "1.0.0", **extra: Any
) -> ApiResponse:
    body = {
        "name": f"Package {slug}",
        "slug": slug,
        "version": version,
        "description": "A test package.",
        "capabilities": ["rag"],
        "default_config": {"tone": "friendly"},
        "zip_base64": base64.b64encode(zip_bytes).decode(),
        **extra,
    }
    return api.request("POST", ADMIN_PATH, token=token, json_body=body)


def published(api: ApiClient, tenants: Tenants, label: str, reply: str = "ok") -> dict[str, Any]:
    response = publish(api, tenants.master_admin_token, new_slug(label), agent_zip(reply))
    assert response.status == 201, response.body
    return response.body


def stored_keys(prefix: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=get_settings().agent_packages_bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def _error(response: ApiResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.body["error"]["code"] == code


@pytest.fixture(autouse=True)
def restore_default_package(owner_engine: Engine, local_aws: LocalAws) -> Iterator[None]:
    with Session(owner_engine) as db:
        defaults = list(db.scalars(select(AgentPackage.id).where(AgentPackage.is_default.is_(True))))
    yield
    with Session(owner_engine) as db, db.begin():
        db.execute(update(AgentPackage).values(is_default=AgentPackage.id.in_(defaults)))


@pytest.fixture
def package_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(packages, "CACHE_ROOT", tmp_path / "package-cache")
    packages.clear_cache()
    yield
    packages.clear_cache()


@pytest.fixture
def company(owner_engine: Engine) -> CompanyData:
    """A company of its own: these tests point its agent at test packages."""
    with Session(owner_engine) as db, db.begin():
        return create_company(db, "Packages", create_platform_rows(db))


def test_master_admin_publishes_a_package_to_s3(api: ApiClient, tenants: Tenants) -> None:
    slug, zip_bytes = new_slug("publish"), agent_zip("v1")
    response = publish(api, tenants.master_admin_token, slug, zip_bytes, author="Platform team")
    assert response.status == 201, response.body
    package = response.body
    digest = hashlib.sha256(zip_bytes).hexdigest()
    bucket = get_settings().agent_packages_bucket
    assert bucket == "agentpackagesbucket"  # the template's bucket, created in moto
    assert package["package_hash"] == digest
    assert package["package_url"] == f"s3://{bucket}/{slug}/{digest}.zip"
    assert package["package_size"] == len(zip_bytes)
    assert package["entry_point"] == "agent:respond"
    assert package["published_at"] and package["author"] == "Platform team"
    assert (package["is_active"], package["is_default"], package["usage_count"]) == (True, False, 0)
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=f"{slug}/{digest}.zip")["Body"].read()
    assert stored == zip_bytes

    read = api.get(f"{ADMIN_PATH}/{package['id']}", token=tenants.master_admin_token)
    assert read.status == 200 and read.body == package
    listed = api.get(ADMIN_PATH, token=tenants.master_admin_token)
    assert package in listed.body

    summaries = api.get("/v1/agent-packages", token=tenants.a.tokens["admin"])
    assert summaries.status == 200
    summary = next(item for item in summaries.body if item["slug"] == slug)
    assert set(summary) == {"id", "slug", "name", "description", "version", "capabilities"}


def test_a_new_build_of_a_slug_replaces_its_version(api: ApiClient, tenants: Tenants) -> None:
    token, slug = tenants.master_admin_token, new_slug("versions")
    first = publish(api, token, slug, agent_zip("v1")).body
    _error(publish(api, token, slug, agent_zip("v1"), version="1.0.1"), 409, "package_unchanged")
    _error(publish(api, token, slug, agent_zip("v2")), 409, "package_version_exists")

    second = publish(api, token, slug, agent_zip("v2"), version="1.1.0", changelog="Sharper answers.")
    assert second.status == 201, second.body
    assert second.body["id"] == first["id"]
    assert second.body["version"] == "1.1.0" and second.body["package_hash"] != first["package_hash"]
    # Content-addressed keys: the previous build stays, for agents still running it.
    assert sorted(stored_keys(f"{slug}/")) == sorted(
        f"{slug}/{body['package_hash']}.zip" for body in (first, second.body)
    )


def test_only_master_admins_use_the_admin_routes(api: ApiClient, tenants: Tenants) -> None:
    package = published(api, tenants, "roles")
    routes = [
        ("GET", ADMIN_PATH),
        ("GET", f"{ADMIN_PATH}/{package['id']}"),
        ("POST", f"{ADMIN_PATH}/{package['id']}/activate"),
        ("POST", f"{ADMIN_PATH}/{package['id']}/deactivate"),
        ("POST", f"{ADMIN_PATH}/{package['id']}/default"),
    ]
    for token in (tenants.a.tokens["admin"], tenants.a.tokens["support"]):
        for method, path in routes:
            _error(api.request(method, path, token=token), 403, "role_not_allowed")
        _error(publish(api, token, new_slug("roles"), agent_zip("x")), 403, "role_not_allowed")
    _error(api.get("/v1/agent-packages", token=tenants.a.tokens["support"]), 403, "role_not_allowed")
    _error(api.get(ADMIN_PATH), 401, "unauthenticated")


@pytest.mark.parametrize(
    ("zip_bytes", "entry_point", "code"),
    [
        (b"this is not a zip", "agent:respond", "package_invalid"),
        (zip_of({"main.py": "def respond(t, r): ...\n"}), "agent:respond", "package_entry_missing"),
        (zip_of({"agent.py": "def answer(t, r): ...\n"}), "agent:respond", "package_entry_missing"),
        (zip_of({"agent.py": "def respond(t, r) ...\n"}), "agent:respond", "package_invalid"),
        (zip_of({"agent.py": "respond = 1\n", "../escape.py": ""}), "agent:respond", "package_invalid"),
        (zip_of({"bots/agent.py": "def respond(t, r): ...\n"}), "bots.main:respond", "package_entry_missing"),
    ],
    ids=["not-a-zip", "no-module", "no-callable", "syntax-error", "zip-slip", "no-dotted-module"],
)
def test_invalid_packages_are_refused_and_nothing_is_stored(
    api: ApiClient, tenants: Tenants, owner_session: Session, zip_bytes: bytes, entry_point: str, code: str
) -> None:
    slug = new_slug("invalid")
    response = publish(api, tenants.master_admin_token, slug, zip_bytes, entry_point=entry_point)
    _error(response, 400, code)
    assert owner_session.scalar(select(AgentPackage).where(AgentPackage.slug == slug)) is None
    assert stored_keys(f"{slug}/") == []


def test_packages_in_a_subpackage_and_other_callables_are_accepted(api: ApiClient, tenants: Tenants) -> None:
    zip_bytes = zip_of(
        {
            "bots/__init__.py": "",
            "bots/main/__init__.py": (
                "try:\n    from .fast import answer\nexcept ImportError:\n    answer = None\n"
            ),
            "bots/main/fast.py": "def answer(t, r): ...\n",
        }
    )
    response = publish(
        api, tenants.master_admin_token, new_slug("dotted"), zip_bytes, entry_point="bots.main:answer"
    )
    assert response.status == 201, response.body
    assert response.body["entry_point"] == "bots.main:answer"


def test_malformed_requests_are_refused(api: ApiClient, tenants: Tenants) -> None:
    token = tenants.master_admin_token
    bad_base64 = publish(api, token, new_slug("b64"), b"", zip_base64="not base64!")
    _error(bad_base64, 400, "invalid_base64")
    _error(publish(api, token, "Not A Slug", agent_zip("x")), 422, "invalid_input")
    _error(publish(api, token, new_slug("ep"), agent_zip("x"), entry_point="agent.py"), 422, "invalid_input")
    _error(api.get(f"{ADMIN_PATH}/{uuid.uuid4()}", token=token), 404, "package_not_found")


def test_exactly_one_package_is_the_default_and_it_stays_active(
    api: ApiClient, tenants: Tenants, owner_session: Session
) -> None:
    token = tenants.master_admin_token
    first, second = published(api, tenants, "default-1"), published(api, tenants, "default-2")

    made = api.request("POST", f"{ADMIN_PATH}/{first['id']}/default", token=token)
    assert made.status == 200 and made.body["is_default"] is True
    moved = api.request("POST", f"{ADMIN_PATH}/{second['id']}/default", token=token)
    assert moved.status == 200 and moved.body["is_default"] is True
    defaults = owner_session.scalars(select(AgentPackage.id).where(AgentPackage.is_default.is_(True))).all()
    assert [str(package_id) for package_id in defaults] == [second["id"]]

    _error(
        api.request("POST", f"{ADMIN_PATH}/{second['id']}/deactivate", token=token), 409, "package_is_default"
    )
    deactivated = api.request("POST", f"{ADMIN_PATH}/{first['id']}/deactivate", token=token)
    assert deactivated.status == 200 and deactivated.body["is_active"] is False
    summaries = api.get("/v1/agent-packages", token=tenants.a.tokens["admin"]).body
    assert first["id"] not in {item["id"] for item in summaries}
    _error(api.request("POST", f"{ADMIN_PATH}/{first['id']}/default", token=token), 409, "package_inactive")
    activated = api.request("POST", f"{ADMIN_PATH}/{first['id']}/activate", token=token)
    assert activated.status == 200 and activated.body["is_active"] is True


def _resolve(company: CompanyData) -> package_catalogue.ResolvedPackage:
    with tenant_session(TenantContext.company_service(company.company_id)) as db:
        agent = db.get(Agent, company.agent_id)
        assert agent is not None
        return package_catalogue.resolve_package_for_agent(db, agent)


def _point_agent(owner_engine: Engine, company: CompanyData, **columns: Any) -> None:
    with Session(owner_engine) as db, db.begin():
        db.execute(update(Agent).where(Agent.id == company.agent_id).values(**columns))


def test_an_agent_runs_its_custom_package_then_its_assigned_one_then_the_default(
    api: ApiClient, tenants: Tenants, owner_engine: Engine, company: CompanyData
) -> None:
    token = tenants.master_admin_token
    default, assigned = (
        published(api, tenants, "resolve-default"),
        published(api, tenants, "resolve-assigned"),
    )
    custom_zip = agent_zip("custom")
    custom_hash = hashlib.sha256(custom_zip).hexdigest()

    with Session(owner_engine) as db, db.begin():
        db.execute(update(AgentPackage).values(is_default=False))
    _point_agent(owner_engine, company, package_id=None, custom_package_url=None, custom_package_hash=None)
    with pytest.raises(NotFound) as missing:
        _resolve(company)
    assert missing.value.code == "no_agent_package"

    assert api.request("POST", f"{ADMIN_PATH}/{default['id']}/default", token=token).status == 200
    assert _resolve(company) == (default["package_url"], default["package_hash"], "agent:respond")

    _point_agent(owner_engine, company, package_id=uuid.UUID(assigned["id"]))
    assert _resolve(company) == (assigned["package_url"], assigned["package_hash"], "agent:respond")

    _point_agent(
        owner_engine, company, custom_package_url="s3://elsewhere/custom.zip", custom_package_hash=custom_hash
    )
    assert _resolve(company) == ("s3://elsewhere/custom.zip", custom_hash, "agent:respond")

    # A withdrawn package no longer runs: its agents fall back to the default.
    _point_agent(owner_engine, company, custom_package_url=None, custom_package_hash=None)
    assert api.request("POST", f"{ADMIN_PATH}/{assigned['id']}/deactivate", token=token).status == 200
    assert _resolve(company).package_hash == default["package_hash"]


@pytest.mark.usefixtures("package_cache")
def test_the_loader_runs_a_published_package_and_refuses_a_tampered_hash(
    api: ApiClient, tenants: Tenants, owner_engine: Engine, company: CompanyData
) -> None:
    package = published(api, tenants, "load", reply="from s3")
    _point_agent(owner_engine, company, package_id=uuid.UUID(package["id"]))
    respond = load_entry_point(*_resolve(company))
    assert respond("hello", None) == "from s3: hello"

    tampered = hashlib.sha256(b"a different build").hexdigest()
    with Session(owner_engine) as db, db.begin():
        db.execute(
            text("UPDATE chatapp_agent_packages SET package_hash = :hash WHERE id = :id"),
            {"hash": tampered, "id": package["id"]},
        )
    resolved = _resolve(company)
    assert resolved.package_hash == tampered
    with pytest.raises(PackageIntegrityError, match="did not match"):
        load_entry_point(*resolved)


def test_a_failed_commit_leaves_no_object_behind(
    tenants: Tenants, owner_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = authentication.authenticate_bearer(tenants.master_admin_token)
    slug = new_slug("rollback")
    metadata = PackagePublishIn(name="Rollback", slug=slug, version="1.0.0")

    class Unpresentable:
        @staticmethod
        def model_validate(row: AgentPackage) -> None:
            assert stored_keys(f"{slug}/") == [f"{slug}/{row.package_hash}.zip"]
            raise RuntimeError("the transaction fails after the upload")

    monkeypatch.setattr(package_catalogue, "PackageOut", Unpresentable)
    with pytest.raises(RuntimeError):
        package_catalogue.publish_package(principal, metadata, agent_zip("x"))
    assert owner_session.scalar(select(AgentPackage).where(AgentPackage.slug == slug)) is None
    assert stored_keys(f"{slug}/") == []


def _builtin(root: Path, name: str, slug: str, reply: str) -> Path:
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "agent.py").write_text(f"def respond(turn, runtime):\n    return {reply!r}\n")
    (directory / "package.json").write_text(
        json.dumps(
            {
                "slug": slug,
                "name": "Support RAG",
                "version": "1.0.0",
                "description": "Answers from the company's knowledge.",
                "entry_point": "agent:respond",
                "capabilities": ["rag", "handover"],
                "default_config": {"maxResults": 5},
            }
        )
    )
    return directory


def test_publishing_the_built_in_packages_is_idempotent(tmp_path: Path, owner_engine: Engine) -> None:
    slug = new_slug("builtin")
    directory = _builtin(tmp_path, "support_rag", slug, "first")
    (tmp_path / "notes").mkdir()  # no package.json: not a package
    with Session(owner_engine) as db, db.begin():
        db.execute(update(AgentPackage).values(is_default=False))

    [package_id] = package_catalogue.publish_builtin_packages(tmp_path)
    assert package_catalogue.publish_builtin_packages(tmp_path) == []

    with Session(owner_engine) as db:
        row = db.get(AgentPackage, package_id)
        assert row is not None
        first_hash = row.package_hash
        assert (row.slug, row.is_default, row.is_active, row.capabilities) == (
            slug,
            True,
            True,
            ["rag", "handover"],
        )
    assert stored_keys(f"{slug}/") == [f"{slug}/{first_hash}.zip"]

    (directory / "agent.py").write_text("def respond(turn, runtime):\n    return 'second'\n")
    assert package_catalogue.publish_builtin_packages(tmp_path) == [package_id]
    with Session(owner_engine) as db:
        row = db.get(AgentPackage, package_id)
        assert row is not None and row.package_hash != first_hash and row.is_default
    assert len(stored_keys(f"{slug}/")) == 2
    assert package_catalogue.publish_builtin_packages(tmp_path) == []

    # A bucket that lost the object (local S3 starts empty; the database persists) gets it back.
    with Session(owner_engine) as db:
        current = db.get(AgentPackage, package_id)
        assert current is not None
        key = f"{slug}/{current.package_hash}.zip"
    boto3.client("s3").delete_object(Bucket=get_settings().agent_packages_bucket, Key=key)
    assert package_catalogue.publish_builtin_packages(tmp_path) == []
    assert key in stored_keys(f"{slug}/")


def test_without_built_in_packages_nothing_is_published(tmp_path: Path) -> None:
    assert package_catalogue.publish_builtin_packages(tmp_path / "absent") == []
