"""Knowledge files: upload (presigned or direct), confirm, list, delete and re-index.

A file row is written before its bytes arrive (status `pending`); confirming the upload (or a
direct upload) bumps the file's ingest generation and queues an ingestion message carrying
it, so stale and duplicate deliveries are recognised by the ingest function.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.billing.quotas import (
    EffectiveLimits,
    effective_limits,
    require_room,
    require_storage_for,
    stored_bytes,
)
from chatapp.billing.usage import messages_this_month, meter_storage
from chatapp.db import keyset
from chatapp.db.enums import FileStatus
from chatapp.db.models.knowledge import KnowledgeCategory, KnowledgeFile
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, InvalidInput, NotFound
from chatapp.integrations import queues, storage
from chatapp.knowledge import vectors
from chatapp.knowledge.parsing import mime_type_for
from chatapp.knowledge.schemas import FileListOut, FileOut, StorageUsageOut, UploadRequestIn, UploadTicketOut
from chatapp.text import slugify

DIRECT_UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # API Gateway + Lambda payloads cap direct uploads
DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024


def company_of(principal: Principal) -> uuid.UUID:
    if principal.company_id is None:
        raise InvalidInput("Knowledge belongs to a company; act within one.", code="company_required")
    return principal.company_id


def _file(db: Session, file_id: uuid.UUID) -> KnowledgeFile:
    row = owned(db, KnowledgeFile, file_id)
    if row is None:
        raise NotFound("No such file.", code="file_not_found")
    return row


def _storage_key(company_id: uuid.UUID, file_id: uuid.UUID, filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    safe = (
        f"{slugify(stem or extension, max_length=80)}{dot}{slugify(extension, max_length=10) if dot else ''}"
    )
    return f"{company_id}/{file_id}/{safe}"


def require_category(db: Session, category_id: uuid.UUID) -> None:
    """Another company's category ids are indistinguishable from unknown ones."""
    if owned(db, KnowledgeCategory, category_id) is None:
        raise NotFound("No such knowledge category.", code="category_not_found")


def _validate_new_file(
    db: Session,
    company_id: uuid.UUID,
    category_id: uuid.UUID,
    filename: str,
    mime_type: str | None,
    size: int,
) -> tuple[str, EffectiveLimits]:
    require_category(db, category_id)
    normalised = mime_type_for(filename, mime_type)
    if normalised is None:
        raise InvalidInput(
            "This file type is not supported. Upload PDF, DOCX, HTML, Markdown, plain text or CSV.",
            code="unsupported_file_type",
        )
    limits = effective_limits(db, company_id)
    max_size = limits.number("maxFileSize")
    if max_size is None and size > DEFAULT_MAX_FILE_SIZE:
        raise InvalidInput(
            f"Files can be at most {DEFAULT_MAX_FILE_SIZE // (1024 * 1024)} MB.", code="file_too_large"
        )
    require_room(
        db,
        limits,
        "maxFileSize",
        used=size,
        adding=0,
        code="file_too_large",
        what=f"Files can be at most {(max_size or 0) / (1024 * 1024):g} MB on your plan.",
    )
    require_storage_for(db, company_id, limits, size)
    return normalised, limits


def request_upload(principal: Principal, data: UploadRequestIn) -> UploadTicketOut:
    require_permission(principal, "knowledge", "write")
    company_id = company_of(principal)
    with tenant_session(principal.context()) as db:
        mime_type, _ = _validate_new_file(
            db, company_id, data.category_id, data.filename, data.mime_type, data.size
        )
        file_id = uuid.uuid4()
        key = _storage_key(company_id, file_id, data.filename)
        row = KnowledgeFile(
            id=file_id,
            company_id=company_id,
            category_id=data.category_id,
            filename=key.rsplit("/", 1)[-1],
            original_filename=data.filename,
            mime_type=mime_type,
            size=data.size,
            storage_path=key,
            uploaded_by=principal.user_id,
            status=FileStatus.PENDING,
        )
        db.add(row)
        db.flush()
        db.refresh(row)
        ticket = storage.presign_upload(key, mime_type, data.size)
        return UploadTicketOut(
            file=FileOut.model_validate(row),
            upload_url=ticket.url,
            upload_method=ticket.method,
            upload_headers=ticket.headers,
            expires_in=ticket.expires_in,
        )


def confirm_upload(principal: Principal, file_id: uuid.UUID) -> FileOut:
    """The browser finished its PUT: check the object really is there, then queue ingestion."""
    require_permission(principal, "knowledge", "write")
    with tenant_session(principal.context()) as db:
        row = _file(db, file_id)
        stored = storage.head(row.storage_path)
        if stored is None:
            raise Conflict("The file has not been uploaded yet.", code="upload_missing")
        if stored.size != row.size:
            raise InvalidInput(
                "The uploaded file's size differs from the announced size.", code="size_mismatch"
            )
        if row.status is not FileStatus.PENDING or row.ingest_generation > 0:
            return FileOut.model_validate(row)  # confirming twice queues nothing more
        out = queue_ingestion(db, row)
    meter_storage(row.company_id)
    return out


def upload_direct(
    principal: Principal, category_id: uuid.UUID, filename: str, mime_type: str | None, content: bytes
) -> FileOut:
    require_permission(principal, "knowledge", "write")
    company_id = company_of(principal)
    with tenant_session(principal.context()) as db:
        out = add_direct_upload(db, principal, category_id, filename, mime_type, content)
    meter_storage(company_id)
    return out


def add_direct_upload(
    db: Session,
    principal: Principal,
    category_id: uuid.UUID,
    filename: str,
    mime_type: str | None,
    content: bytes,
) -> FileOut:
    """`upload_direct` inside the caller's transaction (the caller checked the permission and
    meters storage after its commit): a file written with other rows stands or falls with them."""
    company_id = company_of(principal)
    require_category(db, category_id)  # ids are checked before anything else is judged
    if not content:
        raise InvalidInput("The file is empty.", code="empty_file")
    if len(content) > DIRECT_UPLOAD_MAX_BYTES:
        raise InvalidInput(
            "Files over 5 MB must use an upload URL (POST /v1/knowledge/files/uploads).",
            code="use_upload_url",
        )
    normalised, _ = _validate_new_file(db, company_id, category_id, filename, mime_type, len(content))
    file_id = uuid.uuid4()
    key = _storage_key(company_id, file_id, filename)
    storage.put(key, content, normalised)
    row = KnowledgeFile(
        id=file_id,
        company_id=company_id,
        category_id=category_id,
        filename=key.rsplit("/", 1)[-1],
        original_filename=filename,
        mime_type=normalised,
        size=len(content),
        storage_path=key,
        uploaded_by=principal.user_id,
        status=FileStatus.PENDING,
    )
    db.add(row)
    db.flush()
    return queue_ingestion(db, row)


def queue_ingestion(db: Session, row: KnowledgeFile) -> FileOut:
    request_indexing(db, row)
    db.refresh(row)
    return FileOut.model_validate(row)


def request_indexing(db: Session, row: KnowledgeFile) -> None:
    """Bump the file's ingest generation and queue its ingestion, inside `db`'s transaction."""
    generation = db.scalar(
        update(KnowledgeFile)
        .where(KnowledgeFile.id == row.id)
        .values(
            ingest_generation=KnowledgeFile.ingest_generation + 1,
            status=FileStatus.PENDING,
            processing_error=None,
        )
        .returning(KnowledgeFile.ingest_generation)
    )
    # Sent inside the transaction: if sending fails nothing is committed; if the commit then
    # fails, the message finds a generation that does not exist and is dropped as stale.
    queues.send_ingest({"company_id": str(row.company_id), "file_id": str(row.id), "generation": generation})


def requeue_outdated(db: Session, limit: int) -> int:
    """Queue re-indexing of up to `limit` files indexed into another collection than today's (an
    older index layout or another embedding model): their chunks are invisible to retrieval until
    then. `db` is a platform (system) session; returns how many were queued."""
    current = vectors.current_collection()
    rows = db.scalars(
        select(KnowledgeFile)
        .where(
            KnowledgeFile.status == FileStatus.INDEXED,
            KnowledgeFile.qdrant_collection.is_not(None),
            KnowledgeFile.qdrant_collection != current,
        )
        .order_by(KnowledgeFile.indexed_at)
        .limit(limit)
    ).all()
    for row in rows:
        queue_ingestion(db, row)
    return len(rows)


def reindex_file(principal: Principal, file_id: uuid.UUID) -> FileOut:
    require_permission(principal, "knowledge", "write")
    with tenant_session(principal.context()) as db:
        row = _file(db, file_id)
        if storage.head(row.storage_path) is None:
            raise Conflict("The file's content was never uploaded.", code="upload_missing")
        return queue_ingestion(db, row)


def get_file(principal: Principal, file_id: uuid.UUID) -> FileOut:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        return FileOut.model_validate(_file(db, file_id))


def list_files(
    principal: Principal,
    *,
    category_id: uuid.UUID | None = None,
    status: FileStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> FileListOut:
    require_permission(principal, "knowledge", "read")
    query = (
        select(KnowledgeFile)
        .order_by(KnowledgeFile.created_at.desc(), KnowledgeFile.id.desc())
        .limit(limit + 1)
    )
    if category_id:
        query = query.where(KnowledgeFile.category_id == category_id)
    if status:
        query = query.where(KnowledgeFile.status == status)
    if cursor:
        query = query.where(keyset.older_than(KnowledgeFile.created_at, KnowledgeFile.id, cursor))
    with tenant_session(principal.context()) as db:
        if category_id:
            require_category(db, category_id)
        rows = list(db.scalars(query))
    page = rows[:limit]
    next_cursor = keyset.encode(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return FileListOut(items=[FileOut.model_validate(r) for r in page], next_cursor=next_cursor)


def delete_file(principal: Principal, file_id: uuid.UUID) -> None:
    """Vectors, chunks (cascade), the stored object and the row go together."""
    require_permission(principal, "knowledge", "delete")
    with tenant_session(principal.context()) as db:
        row = _file(db, file_id)
        company_id, key = row.company_id, row.storage_path
        vectors.for_company(company_id).delete_file(row.id)
        db.delete(row)
    storage.delete(key)
    meter_storage(company_id)


def storage_usage(principal: Principal) -> StorageUsageOut:
    require_permission(principal, "knowledge", "read")
    company_id = company_of(principal)
    with tenant_session(principal.context()) as db:
        limits = effective_limits(db, company_id)
        used = stored_bytes(db, company_id)
        messages = messages_this_month(db, company_id)
    return StorageUsageOut(
        plan=limits.plan_slug,
        stored_bytes=used,
        messages_this_month=messages,
        messages_per_month=limits.number("messagesPerMonth"),
        storage_limit_bytes=limits.storage_bytes,
        max_file_size=limits.number("maxFileSize"),
        limits=limits.values,
    )
