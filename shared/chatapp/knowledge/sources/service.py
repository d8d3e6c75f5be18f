"""Knowledge sources for the console and the API: add, change, list, remove, and sync now.

A source needs the plan's `webSources` feature, and its page limit may not pass the plan's
`webSourcePages` (both 402, as every plan limit). Its address is checked like every outbound URL
(https on a public address; http only when the admin allows it for this source). Removing a source
removes its pages from the knowledge base.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.billing.quotas import EffectiveLimits, effective_limits, require_feature, require_room
from chatapp.billing.usage import meter_storage
from chatapp.config import get_settings
from chatapp.db import keyset
from chatapp.db.models.knowledge import KnowledgeFile, KnowledgeSource, SourceSync, SourceSyncItem
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import InvalidInput, NotFound
from chatapp.integrations import secret_box
from chatapp.integrations.public_urls import check_url
from chatapp.knowledge.files import company_of, require_category
from chatapp.knowledge.sources import pages, syncs
from chatapp.knowledge.sources.schemas import (
    SourceIn,
    SourceOut,
    SourcePatch,
    SyncItemListOut,
    SyncItemOut,
    SyncOut,
)
from chatapp.knowledge.sources.web_page import normalise_url
from chatapp.knowledge.sources.zendesk import credentials_context

FEATURE = "webSources"


def _source(db: Session, source_id: uuid.UUID) -> KnowledgeSource:
    row = owned(db, KnowledgeSource, source_id)
    if row is None:
        raise NotFound("No such knowledge source.", code="source_not_found")
    return row


def _check_address(url: str, allow_http: bool) -> str:
    checked = check_url(
        url,
        allow_http=allow_http,
        allow_loopback=get_settings().loopback_urls_allowed,
        resolver=syncs.network.resolver,
        kind="source",
    )
    return normalise_url(checked.url) or checked.url


def _require_page_room(db: Session, limits: EffectiveLimits, page_limit: int) -> None:
    require_room(
        db,
        limits,
        "webSourcePages",
        used=page_limit,
        adding=0,
        code="web_source_page_limit_reached",
        what=f"A source may keep at most {limits.number('webSourcePages')} pages on your plan.",
    )


def create_source(principal: Principal, data: SourceIn) -> SourceOut:
    require_permission(principal, "knowledge", "write")
    company_id = company_of(principal)
    with tenant_session(principal.context()) as db:
        require_category(db, data.category_id)
        limits = effective_limits(db, company_id)
        require_feature(db, limits, FEATURE, code="web_sources_not_in_plan")
        _require_page_room(db, limits, data.page_limit)
        url = _check_address(data.url, data.allow_http)
        if data.kind == "zendesk" and bool(data.zendesk_email) != bool(data.zendesk_api_token):
            raise InvalidInput(
                "Give both the Zendesk e-mail and API token, or neither.",
                code="zendesk_credentials_incomplete",
            )
        source = KnowledgeSource(
            id=uuid.uuid4(),
            company_id=company_id,
            category_id=data.category_id,
            kind=data.kind,
            name=data.name,
            start_url=url,
            include_patterns=data.include_patterns,
            exclude_patterns=data.exclude_patterns,
            page_limit=data.page_limit,
            schedule=data.schedule,
            allow_http=data.allow_http,
            settings={"locale": data.locale} if data.locale else {},
            created_by=principal.user_id,
        )
        if data.kind == "zendesk" and data.zendesk_email and data.zendesk_api_token:
            secret = json.dumps(
                {"email": data.zendesk_email, "api_token": data.zendesk_api_token.get_secret_value()}
            )
            source.credentials = secret_box.seal(secret, credentials_context(company_id, source.id))
        db.add(source)
        db.flush()
        db.refresh(source)
        syncs.request_sync(db, source, "manual", principal.user_id)  # a new source syncs at once
        return _out(db, source)


def list_sources(principal: Principal) -> list[SourceOut]:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        rows = db.scalars(select(KnowledgeSource).order_by(KnowledgeSource.created_at.desc())).all()
        return [_out(db, row) for row in rows]


def get_source(principal: Principal, source_id: uuid.UUID) -> SourceOut:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        return _out(db, _source(db, source_id))


def update_source(principal: Principal, source_id: uuid.UUID, data: SourcePatch) -> SourceOut:
    require_permission(principal, "knowledge", "write")
    company_id = company_of(principal)
    with tenant_session(principal.context()) as db:
        source = _source(db, source_id)
        changes = data.model_dump(exclude_unset=True)
        if changes.get("category_id"):
            require_category(db, changes["category_id"])
        if "page_limit" in changes:
            _require_page_room(db, effective_limits(db, company_id), changes["page_limit"])
        if "allow_http" in changes:
            _check_address(source.start_url, changes["allow_http"])
        for name, value in changes.items():
            if value is not None:
                setattr(source, name, value)
        if "schedule" in changes:
            period = syncs.SCHEDULE_PERIODS.get(source.schedule)
            source.next_sync_at = (func.now() + period) if period else None  # type: ignore[assignment]
        db.flush()
        db.refresh(source)
        return _out(db, source)


def delete_source(principal: Principal, source_id: uuid.UUID) -> None:
    require_permission(principal, "knowledge", "delete")
    company_id = company_of(principal)
    with tenant_session(principal.context()) as db:
        source = _source(db, source_id)
        rows = db.scalars(select(KnowledgeFile).where(KnowledgeFile.source_id == source.id)).all()
        keys = [pages.remove(db, row) for row in rows]
        db.delete(source)
    pages.delete_objects(keys)
    meter_storage(company_id)


def sync_now(principal: Principal, source_id: uuid.UUID) -> SyncOut:
    """The source's running sync, or a new one: one sync at a time per source."""
    require_permission(principal, "knowledge", "write")
    with tenant_session(principal.context()) as db:
        source = _source(db, source_id)
        require_feature(db, effective_limits(db, source.company_id), FEATURE, code="web_sources_not_in_plan")
        sync = syncs.request_sync(db, source, "manual", principal.user_id)
        return sync_out(db, sync)


def list_syncs(principal: Principal, source_id: uuid.UUID, limit: int = 20) -> list[SyncOut]:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        _source(db, source_id)
        rows = db.scalars(
            select(SourceSync)
            .where(SourceSync.source_id == source_id)
            .order_by(SourceSync.started_at.desc(), SourceSync.id.desc())
            .limit(limit)
        ).all()
        return [sync_out(db, row) for row in rows]


def list_sync_items(
    principal: Principal,
    source_id: uuid.UUID,
    sync_id: uuid.UUID,
    *,
    outcome: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> SyncItemListOut:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        source = _source(db, source_id)  # an unknown source is named before its syncs
        sync = owned(db, SourceSync, sync_id)
        if sync is None or sync.source_id != source.id:
            raise NotFound("No such sync.", code="sync_not_found")
        query = (
            select(SourceSyncItem)
            .where(SourceSyncItem.sync_id == sync_id)
            .order_by(SourceSyncItem.created_at.desc(), SourceSyncItem.id.desc())
            .limit(limit + 1)
        )
        if outcome:
            query = query.where(SourceSyncItem.outcome == outcome)
        if cursor:
            query = query.where(keyset.older_than(SourceSyncItem.created_at, SourceSyncItem.id, cursor))
        rows = list(db.scalars(query))
    page = rows[:limit]
    return SyncItemListOut(
        items=[
            SyncItemOut(
                id=r.id,
                key=r.item_key,
                kind=r.kind,  # type: ignore[arg-type]
                outcome=r.outcome,
                reason=r.reason,
                file_id=r.file_id,
                finished_at=r.finished_at,
            )
            for r in page
        ],
        next_cursor=keyset.encode(page[-1].created_at, page[-1].id) if len(rows) > limit else None,
    )


def sync_out(db: Session, sync: SourceSync) -> SyncOut:
    counts = dict(
        db.execute(
            select(SourceSyncItem.outcome, func.count(SourceSyncItem.id))
            .where(SourceSyncItem.sync_id == sync.id, SourceSyncItem.kind == "page")
            .group_by(SourceSyncItem.outcome)
        ).all()
    )
    return SyncOut(
        id=sync.id,
        source_id=sync.source_id,
        status=sync.status,  # type: ignore[arg-type]
        trigger=sync.trigger,  # type: ignore[arg-type]
        started_at=sync.started_at,
        finished_at=sync.finished_at,
        error=sync.error,
        pages_found=sum(counts.values()),
        new=counts.get("new", 0),
        changed=counts.get("changed", 0),
        unchanged=counts.get("unchanged", 0),
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        removed=sync.removed_count,
        pending=counts.get("pending", 0),
    )


def _out(db: Session, source: KnowledgeSource) -> SourceOut:
    last = db.scalar(
        select(SourceSync)
        .where(SourceSync.source_id == source.id)
        .order_by(SourceSync.started_at.desc(), SourceSync.id.desc())
        .limit(1)
    )
    page_count = db.scalar(select(func.count(KnowledgeFile.id)).where(KnowledgeFile.source_id == source.id))
    return SourceOut(
        id=source.id,
        name=source.name,
        kind=source.kind,  # type: ignore[arg-type]
        url=source.start_url,
        category_id=source.category_id,
        include_patterns=list(source.include_patterns or []),
        exclude_patterns=list(source.exclude_patterns or []),
        page_limit=source.page_limit,
        schedule=source.schedule,  # type: ignore[arg-type]
        allow_http=source.allow_http,
        locale=(source.settings or {}).get("locale"),
        has_credentials=source.credentials is not None,
        next_sync_at=source.next_sync_at,
        created_at=source.created_at,
        page_count=int(page_count or 0),
        last_sync=sync_out(db, last) if last else None,
    )
