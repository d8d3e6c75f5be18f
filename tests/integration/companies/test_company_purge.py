"""The purge job: after the retention period a deleted company's rows, vectors and files are gone,
another company's are untouched, and running it again is harmless."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from sqlalchemy import Engine, Table, func, or_, select
from sqlalchemy.orm import Session

from chatapp.config import get_settings
from chatapp.db.models.agents import AgentKnowledgeCategory
from chatapp.db.models.audit import AuditLog, RateLimitRecord
from chatapp.db.models.channels import ApiKey
from chatapp.db.models.conversations import ConversationNote, Message
from chatapp.db.models.core import Account, Company, User, VerificationToken
from chatapp.db.models.core import Session as ConsoleSession
from chatapp.db.models.registry import metadata
from chatapp.integrations.embeddings import get_embedder
from chatapp.integrations.vector_store import VectorPoint
from chatapp.knowledge import vectors as knowledge_vectors
from chatapp.platform import purge as company_purge
from chatapp.security import TokenKind, new_token, token_digest
from devtools.template import functions
from tests.integration.companies.conftest import Master, new_company
from tests.integration.stack import LocalAws
from tests.integration.tenant_data import CompanyData, _session_token

COMPANY_TABLES = [t for t in metadata.sorted_tables if "company_id" in t.c]


@dataclass
class Footprint:
    """Everything of one company the purge must remove (or leave alone)."""

    data: CompanyData
    user_ids: list[uuid.UUID]
    emails: list[str]
    conversation_ids: list[uuid.UUID]
    rate_limit_keys: list[str]
    keys: list[str]  # S3 objects, as "bucket/key"

    @property
    def company_id(self) -> uuid.UUID:
        return self.data.company_id


def _vector(seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(get_embedder().dimensions)]


def _build(owner_engine: Engine, label: str, master_user: uuid.UUID) -> Footprint:
    """A company with rows in every tenant table (tenant_data), plus what points at it by value:
    sign-in tokens, rate-limit windows and platform audit entries, vectors and S3 objects."""
    data = new_company(owner_engine, label)
    now = datetime.now(UTC)
    with Session(owner_engine) as db, db.begin():
        users = db.execute(select(User.id, User.email).where(User.company_id == data.company_id)).all()
        conversations = list(data.conversations.values())
        key_id = db.scalar(select(ApiKey.id).where(ApiKey.company_id == data.company_id))
        admin_email = next(email for user_id, email in users if user_id == data.admin_id)
        db.add(
            VerificationToken(
                identifier=admin_email,
                token=token_digest(new_token(TokenKind.VERIFICATION)),
                expires=now + timedelta(minutes=15),
            )
        )
        rate_limit_keys = [
            f"signin:email:{admin_email}",
            f"api:key:{key_id}",
            f"widget:conversation:{conversations[0]}",
        ]
        for key in rate_limit_keys:
            db.add(
                RateLimitRecord(
                    key=key, window_start=now, window_end=now + timedelta(minutes=1), limit_value=5
                )
            )
        # Written outside the company's context: a sign-in by its user, a master admin's change.
        db.add(AuditLog(action="auth.sign_in", user_id=data.admin_id, resource_type="session"))
        db.add(
            AuditLog(
                action="agents.update", user_id=master_user, resource_type="agents", resource_id=data.agent_id
            )
        )
    vectors = knowledge_vectors.for_company(data.company_id)
    file_id, category_id = uuid.uuid4(), uuid.uuid4()
    vectors.upsert([VectorPoint(uuid.uuid4(), _vector(n), file_id, category_id) for n in range(5)])
    settings, s3 = get_settings(), boto3.client("s3")
    keys = []
    for bucket, key in (
        (settings.knowledge_bucket, f"{data.company_id}/{file_id}/faq.md"),
        (settings.knowledge_bucket, f"{data.company_id}/{uuid.uuid4()}/manual.pdf"),
        (settings.attachments_bucket, f"{data.company_id}/{conversations[0]}/{uuid.uuid4().hex}/photo.jpg"),
        (settings.attachments_bucket, f"{data.company_id}/{conversations[1]}/{uuid.uuid4().hex}/receipt.pdf"),
    ):
        s3.put_object(Bucket=bucket, Key=key, Body=b"content")
        keys.append(f"{bucket}/{key}")
    return Footprint(data, [u for u, _ in users], [e for _, e in users], conversations, rate_limit_keys, keys)


def _stored_keys(company_id: uuid.UUID) -> list[str]:
    settings, s3 = get_settings(), boto3.client("s3")
    found = []
    for bucket in (settings.knowledge_bucket, settings.attachments_bucket):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{company_id}/")
        found += [f"{bucket}/{item['Key']}" for item in listed.get("Contents", [])]
    return sorted(found)


def _count(db: Session, table: Table, *conditions: Any) -> int:
    return int(db.scalar(select(func.count()).select_from(table).where(*conditions)) or 0)


def _rows(db: Session, footprint: Footprint) -> dict[str, int]:
    """Row counts of everything that is the company's, table by table (read as the owner: no RLS)."""
    company_id = footprint.company_id
    counts = {t.name: _count(db, t, t.c.company_id == company_id) for t in COMPANY_TABLES}
    counts |= {
        "companies": _count(db, Company.__table__, Company.id == company_id),
        "messages": _count(db, Message.__table__, Message.conversation_id.in_(footprint.conversation_ids)),
        "notes": _count(
            db, ConversationNote.__table__, ConversationNote.conversation_id.in_(footprint.conversation_ids)
        ),
        "agent_categories": _count(
            db, AgentKnowledgeCategory.__table__, AgentKnowledgeCategory.agent_id == footprint.data.agent_id
        ),
        "accounts": _count(db, Account.__table__, Account.user_id.in_(footprint.user_ids)),
        "sessions": _count(db, ConsoleSession.__table__, ConsoleSession.user_id.in_(footprint.user_ids)),
        "verification_tokens": _count(
            db, VerificationToken.__table__, VerificationToken.identifier.in_(footprint.emails)
        ),
        "rate_limits": _count(
            db, RateLimitRecord.__table__, RateLimitRecord.key.in_(footprint.rate_limit_keys)
        ),
        # Entries by its users, or about its rows, wherever they were written (not the purge's own).
        "audit_by_users_or_about_rows": _count(
            db,
            AuditLog.__table__,
            AuditLog.action != company_purge.PURGED,
            or_(
                AuditLog.user_id.in_(footprint.user_ids),
                AuditLog.resource_id.in_([company_id, footprint.data.agent_id, *footprint.user_ids]),
            ),
        ),
    }
    return counts


def test_the_purge_removes_everything_of_a_deleted_company_after_the_retention_period(
    owner_engine: Engine, master: Master, local_aws: LocalAws, tenants: Any
) -> None:
    doomed = _build(owner_engine, "Doomed", tenants.master_admin_id)
    kept = _build(owner_engine, "Kept", tenants.master_admin_id)
    deleted = master.call("DELETE", f"/v1/admin/companies/{doomed.company_id}?reason=Contract%20ended")
    assert deleted.status == 200, deleted.body
    deleted_at = datetime.fromisoformat(deleted.body["deleted_at"])
    with Session(owner_engine) as db, db.begin():  # deletion revoked the sessions; one left behind anyway
        _session_token(db, doomed.data.admin_id)

    with Session(owner_engine) as db:
        doomed_before, kept_before = _rows(db, doomed), _rows(db, kept)
    # Every table with a company_id, and every indirect kind of row, has something to purge.
    assert all(doomed_before.values()), [name for name, n in doomed_before.items() if n == 0]
    assert _stored_keys(doomed.company_id) == sorted(doomed.keys)
    assert knowledge_vectors.for_company(doomed.company_id).count() == 5

    # Within the retention period nothing happens.
    early = company_purge.purge_due(now=deleted_at + timedelta(days=29, hours=23))
    assert doomed.company_id not in early.purged and not early.failed
    with Session(owner_engine) as db:
        assert _rows(db, doomed) == doomed_before
    assert _stored_keys(doomed.company_id) == sorted(doomed.keys)
    assert knowledge_vectors.for_company(doomed.company_id).count() == 5

    # After it, everything of that company is gone, and only that company's.
    late = deleted_at + timedelta(days=30, minutes=1)
    report = company_purge.purge_due(now=late)
    assert doomed.company_id in report.purged and not report.failed
    with Session(owner_engine) as db:
        after = _rows(db, doomed)
        assert {name: n for name, n in after.items() if n} == {}
        assert _rows(db, kept) == kept_before
        purged_entries = db.scalars(select(AuditLog).where(AuditLog.resource_id == doomed.company_id)).all()
    assert [(e.action, e.company_id, e.user_id) for e in purged_entries] == [("company.purged", None, None)]
    assert set(purged_entries[0].details) == {"rows_deleted", "objects_deleted"}
    assert purged_entries[0].details["objects_deleted"] == 4
    assert _stored_keys(doomed.company_id) == []
    assert knowledge_vectors.for_company(doomed.company_id).count() == 0
    assert _stored_keys(kept.company_id) == sorted(kept.keys)
    assert knowledge_vectors.for_company(kept.company_id).count() == 5

    # Twice is harmless; a purged company cannot be restored or found.
    again = company_purge.purge_due(now=late)
    assert doomed.company_id not in again.purged and not again.failed
    with Session(owner_engine) as db:
        assert _count(db, AuditLog.__table__, AuditLog.resource_id == doomed.company_id) == 1
        assert _rows(db, kept) == kept_before
    restore = master.call("POST", f"/v1/admin/companies/{doomed.company_id}/restore")
    assert restore.status == 404


def test_a_restored_company_is_not_purged(owner_engine: Engine, master: Master, local_aws: LocalAws) -> None:
    company = new_company(owner_engine, "Back")
    path = f"/v1/admin/companies/{company.company_id}"
    deleted_at = datetime.fromisoformat(master.call("DELETE", path).body["deleted_at"])
    assert master.call("POST", f"{path}/restore").status == 200
    report = company_purge.purge_due(now=deleted_at + timedelta(days=365))
    assert company.company_id not in report.purged
    assert master.call("GET", path).body["status"] == "active"


def test_the_scheduled_function_runs_the_purge(local_aws: LocalAws) -> None:
    spec = next(s for s in functions() if s.logical_id == "CompanyPurgeFunction")
    schedule = next(iter(spec.properties["Events"].values()))
    assert schedule["Type"] == "Schedule" and schedule["Properties"]["Schedule"].startswith("cron(")
    from devtools.aws_local import fire_schedule

    result = fire_schedule(spec, schedule["Properties"])
    assert result["failed"] == [] and isinstance(result["purged"], list)
