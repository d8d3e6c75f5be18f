"""The purge: a company soft-deleted more than `company_purge_after_days` ago loses all its data.

Per company, in one system transaction that holds the company row locked (a restore waits for it,
then finds nothing to restore):
1. its vectors (the company filter in its embedding model's collection) and its S3 objects (knowledge
   files and chat attachments, all under `<company id>/`);
2. every row that belongs to it, children before parents. Which rows belong to it is derived from the
   models' metadata, so a table added later is not forgotten: a row belongs to the company when it
   has the company's `company_id`, or a foreign key to a row that belongs to it (messages through
   their conversation, sessions through their user, ...). A few columns point at company rows by
   value instead of a foreign key (audit `resource_id`, sign-in tokens by e-mail, rate-limit keys);
   they are listed below;
3. the company row, and one platform audit entry `company.purged` (the company id and counts only).
If anything fails, the rows stay (rollback); objects already deleted stay deleted and the next run
continues. A purged company is gone, so running the job again does nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, Table, cast, delete, literal, or_, select, union_all
from sqlalchemy.orm import Session

from chatapp.audit import entries
from chatapp.config import get_settings
from chatapp.db.models.audit import AuditLog, RateLimitRecord
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.conversations import Conversation
from chatapp.db.models.core import Company, User, VerificationToken
from chatapp.db.models.registry import metadata
from chatapp.db.tenancy import system_session
from chatapp.integrations import storage
from chatapp.knowledge import vectors as knowledge_vectors
from chatapp.observability import logger

PURGED = "company.purged"
_COMPANIES = Company.__table__
_USERS = User.__table__


@dataclass
class PurgeReport:
    purged: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"purged": [str(c) for c in self.purged], "failed": [str(c) for c in self.failed]}


def purge_due(now: datetime | None = None) -> PurgeReport:
    """Purge every company deleted longer ago than the retention period. One company's failure does
    not stop the others; it is reported and retried on the next run."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=get_settings().company_purge_after_days)
    with system_session("find deleted companies due for purge") as db:
        due = list(db.scalars(select(Company.id).where(_due(cutoff)).order_by(Company.deleted_at)))
    report = PurgeReport()
    for company_id in due:
        try:
            done = purge_company(company_id, cutoff=cutoff)
        except Exception as error:  # logged by type: messages could carry data
            logger.error(
                "company purge failed",
                extra={"company_id": str(company_id), "error_type": type(error).__name__},
            )
            report.failed.append(company_id)
            continue
        if done:
            report.purged.append(company_id)
    return report


def _due(cutoff: datetime) -> ColumnElement[bool]:
    return (Company.status == "deleted") & (Company.deleted_at <= cutoff)


def purge_company(company_id: uuid.UUID, *, cutoff: datetime) -> bool:
    """Purge one company if it is (still) deleted since before `cutoff`. Returns whether it was."""
    with system_session("purge a deleted company's data") as db:
        locked = db.scalar(select(Company.id).where(Company.id == company_id, _due(cutoff)).with_for_update())
        if locked is None:  # restored meanwhile, or purged by a concurrent run
            return False
        knowledge_vectors.for_company(company_id).delete_all()
        settings = get_settings()
        objects = sum(
            storage.delete_prefix(f"{company_id}/", bucket=bucket)
            for bucket in (settings.knowledge_bucket, settings.attachments_bucket)
        )
        rows = _delete_rows(db, company_id)
        entries.record(
            db,
            action=PURGED,
            resource_type="company",
            resource_id=company_id,
            details={"rows_deleted": rows, "objects_deleted": objects},
        )
    logger.info("company purged", extra={"company_id": str(company_id), "rows": rows, "objects": objects})
    return True


def ownership(company_id: uuid.UUID) -> dict[Table, ColumnElement[bool]]:
    """For every table holding company data (the companies table aside), the condition selecting
    the company's rows. Built parents first, so a child's condition can use its parents'."""
    conditions: dict[Table, ColumnElement[bool]] = {}
    for table in metadata.sorted_tables:
        if table is _COMPANIES:
            continue
        clauses: list[ColumnElement[bool]] = []
        if "company_id" in table.c:
            clauses.append(table.c.company_id == company_id)
        for foreign_key in table.foreign_keys:
            parent = foreign_key.column.table
            column = foreign_key.parent
            if parent is table or column.name == "company_id":
                continue  # a tree within the same rows, or already covered
            if parent is _COMPANIES:
                clauses.append(column == company_id)
            elif parent in conditions:
                clauses.append(column.in_(select(foreign_key.column).where(conditions[parent])))
        if clauses:
            conditions[table] = or_(*clauses)
    return conditions


def _value_references(company_id: uuid.UUID, conditions: dict[Table, ColumnElement[bool]]) -> list[Any]:
    """Deletes for rows that point at the company's rows by value rather than by foreign key. They
    run first: they look the referenced rows up."""
    owned_ids = [
        select(table.c.id).where(condition)
        for table, condition in conditions.items()
        if "id" in table.c and table is not AuditLog.__table__
    ]
    users = conditions[_USERS]
    # Rate-limit keys as identity/authentication, identity/sign_in and surfaces/widget build them.
    rate_limit_keys = union_all(
        select(literal("signin:email:") + User.email).where(users),
        select(literal("api:key:") + cast(ApiKey.id, String)).where(conditions[ApiKey.__table__]),
        select(literal("widget:conversation:") + cast(Conversation.id, String)).where(
            conditions[Conversation.__table__]
        ),
    )
    return [
        # Entries about the company's rows written in another context (a master admin's changes).
        delete(AuditLog).where(
            or_(AuditLog.resource_id == company_id, AuditLog.resource_id.in_(union_all(*owned_ids)))
        ),
        delete(VerificationToken).where(VerificationToken.identifier.in_(select(User.email).where(users))),
        delete(RateLimitRecord).where(RateLimitRecord.key.in_(rate_limit_keys)),
    ]


def _delete_rows(db: Session, company_id: uuid.UUID) -> int:
    conditions = ownership(company_id)
    deleted = 0
    for statement in _value_references(company_id, conditions):
        deleted += db.execute(statement).rowcount
    for table in reversed(metadata.sorted_tables):  # children first: no foreign key is left dangling
        condition = conditions.get(table)
        if condition is not None:
            deleted += db.execute(delete(table).where(condition)).rowcount
    deleted += db.execute(delete(_COMPANIES).where(_COMPANIES.c.id == company_id)).rowcount
    return deleted
