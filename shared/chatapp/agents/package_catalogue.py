"""The agent package catalogue: master admins publish and curate it, agents run from it.

Zips live in the agent packages bucket as `<slug>/<sha256>.zip`. A slug is one package; publishing
a new build under an existing slug replaces the row's version, hash and URL (agents that use the
package run the new build from their next cold load), while the old object stays in the bucket,
since content-addressed keys never overwrite. A build must change the bytes and the version string.

The object is uploaded after the row is flushed (so refusals upload nothing) and before the
transaction commits; if the commit fails, an object the attempt created is deleted again.
"""

from __future__ import annotations

import ast
import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import chatapp
from chatapp.access.authorization import require_role
from chatapp.access.principals import Principal
from chatapp.agent_runtime.packages import (
    DEFAULT_ENTRY_POINT,
    MAX_ARCHIVE_BYTES,
    UnsafePackage,
    build_package_zip,
    check_archive,
    entry_module_paths,
    parse_entry_point,
    sha256_hex,
)
from chatapp.agents.package_schemas import PackageOut, PackagePublishIn, PackageSummaryOut
from chatapp.config import get_settings
from chatapp.db.models.agents import Agent, AgentPackage
from chatapp.db.tenancy import ContextRole, system_session, tenant_session
from chatapp.errors import Conflict, InvalidInput, NotFound
from chatapp.integrations.aws import client
from chatapp.observability import logger

BUILTIN_PACKAGES_DIR = Path(chatapp.__file__).parent / "agent_packages"
# Serialises changes to which package is the default, so two requests cannot leave two defaults.
_DEFAULT_PACKAGE_LOCK = 0x42555A5A49504B47


class ResolvedPackage(NamedTuple):
    url: str
    package_hash: str
    entry_point: str


# ---------------------------------------------------------------- master admin operations


def publish_package(principal: Principal, metadata: PackagePublishIn, zip_bytes: bytes) -> PackageOut:
    """Publish a new package, or a new build of an existing slug."""
    _require_master_admin(principal)
    digest = validate_archive(zip_bytes, metadata.entry_point)
    key = _object_key(metadata.slug, digest)
    with _upload_undone_on_failure(key) as upload, tenant_session(principal.context()) as db:
        row = _by_slug(db, metadata.slug)
        if row is not None:
            _refuse_republish(row, metadata, digest)
        row = _record(db, row, metadata, _s3_url(key), digest, len(zip_bytes))
        upload(zip_bytes)
        return PackageOut.model_validate(row)


def list_packages(principal: Principal) -> list[PackageOut]:
    _require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        rows = db.scalars(select(AgentPackage).order_by(AgentPackage.name, AgentPackage.slug))
        return [PackageOut.model_validate(row) for row in rows]


def list_available_packages(principal: Principal) -> list[PackageSummaryOut]:
    """The active packages, as company admins may see them (no URLs, hashes or configuration)."""
    require_role(principal, (ContextRole.MASTER_ADMIN, ContextRole.COMPANY_ADMIN))
    with tenant_session(principal.context()) as db:
        rows = db.scalars(
            select(AgentPackage)
            .where(AgentPackage.is_active.is_(True))
            .order_by(AgentPackage.name, AgentPackage.slug)
        )
        return [PackageSummaryOut.model_validate(row) for row in rows]


def get_package(principal: Principal, package_id: uuid.UUID) -> PackageOut:
    _require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        return PackageOut.model_validate(_package(db, package_id))


def set_active(principal: Principal, package_id: uuid.UUID, active: bool) -> PackageOut:
    _require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        _lock_default(db)
        row = _package(db, package_id)
        if not active and row.is_default:
            raise Conflict(
                "The default package cannot be deactivated; make another package the default first.",
                code="package_is_default",
            )
        row.is_active = active
        db.flush()
        db.refresh(row)
        return PackageOut.model_validate(row)


def set_default(principal: Principal, package_id: uuid.UUID) -> PackageOut:
    """Make the package the one agents without a package of their own run; exactly one is."""
    _require_master_admin(principal)
    with tenant_session(principal.context()) as db:
        _lock_default(db)
        row = _package(db, package_id)
        if not row.is_active:
            raise Conflict("Only an active package can be the default.", code="package_inactive")
        _make_default(db, row)
        db.refresh(row)
        return PackageOut.model_validate(row)


# ---------------------------------------------------------------- built-in packages


def publish_builtin_packages(source_root: Path | None = None) -> list[uuid.UUID]:
    """Publish each `<root>/<name>/` with a `package.json` whose build is not in the catalogue yet.

    Returns the ids of the rows created or updated: none when everything is already published.
    The first built-in package becomes the default when there is no active default.
    """
    root = source_root or BUILTIN_PACKAGES_DIR
    if not root.is_dir():
        return []
    published = []
    for directory in sorted(path for path in root.iterdir() if (path / "package.json").is_file()):
        metadata = PackagePublishIn.model_validate_json((directory / "package.json").read_bytes())
        package_id = _publish_builtin(metadata, build_package_zip(directory))
        if package_id is not None:
            published.append(package_id)
    return published


def _publish_builtin(metadata: PackagePublishIn, zip_bytes: bytes) -> uuid.UUID | None:
    digest = validate_archive(zip_bytes, metadata.entry_point)
    key = _object_key(metadata.slug, digest)
    with (
        _upload_undone_on_failure(key) as upload,
        system_session("publish built-in agent packages") as db,
    ):
        _lock_default(db)  # first, in the same order as set_active and set_default take their locks
        row = _by_slug(db, metadata.slug)
        if row is not None and row.package_hash == digest:
            # Recorded already; make sure the bytes are there too (a fresh local S3, a wiped bucket).
            if not _object_exists(get_settings().agent_packages_bucket, key):
                upload(zip_bytes)
            return None
        row = _record(db, row, metadata, _s3_url(key), digest, len(zip_bytes))
        upload(zip_bytes)
        if _active_default(db) is None:
            _make_default(db, row)
        logger.info("built-in agent package published", extra={"slug": row.slug, "version": row.version})
        return row.id


# ---------------------------------------------------------------- the runtime's choice


def resolve_package_for_agent(db: Session, agent: Agent) -> ResolvedPackage:
    """What the agent runs: its custom package, else its assigned package, else the default."""
    assigned = db.get(AgentPackage, agent.package_id) if agent.package_id else None
    if agent.custom_package_url and agent.custom_package_hash:
        entry_point = (assigned.entry_point if assigned else None) or DEFAULT_ENTRY_POINT
        return ResolvedPackage(agent.custom_package_url, agent.custom_package_hash, entry_point)
    if assigned is not None and assigned.is_active:
        return _resolved(assigned)
    if assigned is not None:
        # A deactivated package is withdrawn from service; its agents keep answering on the default.
        logger.warning(
            "agent package inactive; using the default",
            extra={"agent_id": str(agent.id), "package_id": str(assigned.id)},
        )
    default = _active_default(db)
    if default is None:
        raise NotFound("No agent package is available to run this agent.", code="no_agent_package")
    return _resolved(default)


def _resolved(row: AgentPackage) -> ResolvedPackage:
    return ResolvedPackage(row.package_url, row.package_hash, row.entry_point or DEFAULT_ENTRY_POINT)


# ---------------------------------------------------------------- validation


def validate_archive(zip_bytes: bytes, entry_point: str) -> str:
    """The archive's SHA-256, if it is a safe zip whose entry module defines the entry point."""
    if not zip_bytes:
        raise InvalidInput("The package is empty.", code="package_invalid")
    if len(zip_bytes) > MAX_ARCHIVE_BYTES:
        raise InvalidInput(
            f"Packages can be at most {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB.", code="package_too_large"
        )
    try:
        members = check_archive(zip_bytes)
    except UnsafePackage as error:
        raise InvalidInput(str(error), code="package_invalid") from None
    _require_entry_point(zip_bytes, {member.filename for member in members}, entry_point)
    return sha256_hex(zip_bytes)


def _require_entry_point(zip_bytes: bytes, names: set[str], entry_point: str) -> None:
    """Checked by parsing, never importing: publishing must not run the package's code."""
    candidates = entry_module_paths(entry_point)
    path = next((candidate for candidate in candidates if candidate in names), None)
    if path is None:
        raise InvalidInput(
            f"The package has neither {candidates[0]} nor {candidates[1]} for entry point {entry_point}.",
            code="package_entry_missing",
        )
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        source = archive.read(path)
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError):
        raise InvalidInput(f"{path} is not valid Python.", code="package_invalid") from None
    attribute = parse_entry_point(entry_point).attribute
    defined, star_import = _top_level_names(tree)
    if attribute not in defined and not star_import:
        raise InvalidInput(f"{path} defines no {attribute!r}.", code="package_entry_missing")


def _top_level_names(tree: ast.Module) -> tuple[set[str], bool]:
    """Names a module binds outside functions and classes, and whether it star-imports."""
    names: set[str] = set()
    star_import = False
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            star_import = star_import or any(alias.name == "*" for alias in node.names)
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            pending.extend(_nested_statements(node))
    return names, star_import


def _nested_statements(node: ast.If | ast.Try | ast.With) -> list[ast.stmt]:
    statements = list(node.body)
    if isinstance(node, ast.If):
        statements += node.orelse
    elif isinstance(node, ast.Try):
        statements += node.orelse + node.finalbody
        for handler in node.handlers:
            statements += handler.body
    return statements


# ---------------------------------------------------------------- rows


def _require_master_admin(principal: Principal) -> None:
    require_role(principal, (ContextRole.MASTER_ADMIN,))


def _package(db: Session, package_id: uuid.UUID) -> AgentPackage:
    row = db.get(AgentPackage, package_id)
    if row is None:
        raise NotFound("No such agent package.", code="package_not_found")
    return row


def _by_slug(db: Session, slug: str) -> AgentPackage | None:
    return db.scalar(select(AgentPackage).where(AgentPackage.slug == slug).with_for_update())


def _refuse_republish(row: AgentPackage, metadata: PackagePublishIn, digest: str) -> None:
    if row.package_hash == digest:
        raise Conflict(
            f"This build is already published as {row.slug} {row.version}.", code="package_unchanged"
        )
    if row.version == metadata.version:
        raise Conflict(
            f"{row.slug} {row.version} is published with other contents; give this build a new version.",
            code="package_version_exists",
        )


def _record(
    db: Session, row: AgentPackage | None, metadata: PackagePublishIn, url: str, digest: str, size: int
) -> AgentPackage:
    if row is None:
        row = AgentPackage(slug=metadata.slug)
        db.add(row)
    for field in PackagePublishIn.model_fields:  # metadata may be a request carrying the zip too
        setattr(row, field, getattr(metadata, field))
    row.package_url = url
    row.package_hash = digest
    row.package_size = size
    row.published_at = datetime.now(UTC)
    try:
        db.flush()
    except IntegrityError:
        raise Conflict(
            f"A package with the slug {metadata.slug!r} was published at the same time.",
            code="package_slug_taken",
        ) from None
    db.refresh(row)
    return row


def _lock_default(db: Session) -> None:
    db.execute(select(func.pg_advisory_xact_lock(_DEFAULT_PACKAGE_LOCK)))


def _active_default(db: Session) -> AgentPackage | None:
    return db.scalar(
        select(AgentPackage)
        .where(AgentPackage.is_default.is_(True), AgentPackage.is_active.is_(True))
        .order_by(AgentPackage.published_at.desc())
        .limit(1)
    )


def _make_default(db: Session, row: AgentPackage) -> None:
    """Callers hold the default lock (`_lock_default`)."""
    db.execute(
        update(AgentPackage)
        .where(AgentPackage.is_default.is_(True), AgentPackage.id != row.id)
        .values(is_default=False)
    )
    row.is_default = True
    db.flush()


# ---------------------------------------------------------------- storage


def _object_key(slug: str, digest: str) -> str:
    return f"{slug}/{digest}.zip"


def _s3_url(key: str) -> str:
    return f"s3://{get_settings().agent_packages_bucket}/{key}"


@contextmanager
def _upload_undone_on_failure(key: str) -> Iterator[Callable[[bytes], None]]:
    """Yields `upload(data)`; if the block (the transaction recording the object) then fails,
    an object the upload created is deleted. One that existed before is someone else's."""
    bucket = get_settings().agent_packages_bucket
    created = False

    def upload(data: bytes) -> None:
        nonlocal created
        created = not _object_exists(bucket, key)
        client("s3").put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/zip")

    try:
        yield upload
    except BaseException:
        if created:
            client("s3").delete_object(Bucket=bucket, Key=key)
        raise


def _object_exists(bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
