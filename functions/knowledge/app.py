"""Knowledge API for the console: categories, agent assignments, files, storage usage, test retrieval."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query, Request, Response

from chatapp.agents import knowledge_access
from chatapp.api.access import ADMIN
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.db.enums import FileStatus
from chatapp.knowledge import categories as knowledge_categories
from chatapp.knowledge import files as knowledge_files
from chatapp.knowledge.schemas import (
    AgentCategoriesIn,
    AgentCategoriesOut,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    FileListOut,
    FileOut,
    RetrievalOut,
    RetrievalTestIn,
    StorageUsageOut,
    UploadRequestIn,
    UploadTicketOut,
)
from chatapp.knowledge.sources import service as knowledge_sources
from chatapp.knowledge.sources.schemas import (
    SourceIn,
    SourceOut,
    SourcePatch,
    SyncItemListOut,
    SyncOut,
)
from chatapp.quality import knowledge_drafts
from chatapp.quality.schemas import DraftIn, DraftOut, DraftPatch, DraftPublishIn

app = create_app("knowledge")


@app.get("/v1/knowledge/categories", response_model=list[CategoryOut])
async def list_categories(principal: Authenticated) -> list[CategoryOut]:
    return knowledge_categories.list_categories(principal)


@app.post("/v1/knowledge/categories", response_model=CategoryOut, status_code=201, tags=[ADMIN])
async def create_category(body: CategoryIn, principal: Authenticated) -> CategoryOut:
    return knowledge_categories.create_category(principal, body)


@app.patch("/v1/knowledge/categories/{category_id}", response_model=CategoryOut, tags=[ADMIN])
async def update_category(
    category_id: uuid.UUID, body: CategoryPatch, principal: Authenticated
) -> CategoryOut:
    return knowledge_categories.update_category(principal, category_id, body)


@app.delete("/v1/knowledge/categories/{category_id}", status_code=204, tags=[ADMIN])
async def delete_category(category_id: uuid.UUID, principal: Authenticated) -> Response:
    knowledge_categories.delete_category(principal, category_id)
    return Response(status_code=204)


@app.get("/v1/agents/{agent_id}/knowledge-categories", response_model=AgentCategoriesOut)
async def get_agent_categories(agent_id: uuid.UUID, principal: Authenticated) -> AgentCategoriesOut:
    return knowledge_access.get_agent_categories(principal, agent_id)


@app.put("/v1/agents/{agent_id}/knowledge-categories", response_model=AgentCategoriesOut, tags=[ADMIN])
async def set_agent_categories(
    agent_id: uuid.UUID, body: AgentCategoriesIn, principal: Authenticated
) -> AgentCategoriesOut:
    return knowledge_access.set_agent_categories(principal, agent_id, body.category_ids)


@app.post("/v1/agents/{agent_id}/retrieval-test", response_model=RetrievalOut)
async def test_retrieval(
    agent_id: uuid.UUID, body: RetrievalTestIn, principal: Authenticated
) -> RetrievalOut:
    return knowledge_access.retrieve_for_agent(principal, agent_id, body.query, body.max_results, body.mode)


@app.post("/v1/knowledge/files/uploads", response_model=UploadTicketOut, status_code=201, tags=[ADMIN])
async def request_upload(body: UploadRequestIn, principal: Authenticated) -> UploadTicketOut:
    return knowledge_files.request_upload(principal, body)


@app.post("/v1/knowledge/files/{file_id}/confirm", response_model=FileOut, status_code=202, tags=[ADMIN])
async def confirm_upload(file_id: uuid.UUID, principal: Authenticated) -> FileOut:
    return knowledge_files.confirm_upload(principal, file_id)


# The file is the raw request body, so FastAPI cannot see it: documented here.
_RAW_FILE = {"schema": {"type": "string", "format": "binary"}}


@app.post(
    "/v1/knowledge/files",
    response_model=FileOut,
    status_code=202,
    tags=[ADMIN],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": _RAW_FILE, "text/plain": _RAW_FILE},
        }
    },
)
async def upload_direct(
    request: Request,
    principal: Authenticated,
    category_id: Annotated[uuid.UUID, Query()],
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> FileOut:
    content = await request.body()
    return knowledge_files.upload_direct(
        principal, category_id, filename, request.headers.get("content-type"), content
    )


@app.get("/v1/knowledge/files", response_model=FileListOut)
async def list_files(
    principal: Authenticated,
    category_id: uuid.UUID | None = None,
    status: FileStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> FileListOut:
    return knowledge_files.list_files(
        principal, category_id=category_id, status=status, limit=limit, cursor=cursor
    )


@app.get("/v1/knowledge/files/{file_id}", response_model=FileOut)
async def get_file(file_id: uuid.UUID, principal: Authenticated) -> FileOut:
    return knowledge_files.get_file(principal, file_id)


@app.delete("/v1/knowledge/files/{file_id}", status_code=204, tags=[ADMIN])
async def delete_file(file_id: uuid.UUID, principal: Authenticated) -> Response:
    knowledge_files.delete_file(principal, file_id)
    return Response(status_code=204)


@app.post("/v1/knowledge/files/{file_id}/reindex", response_model=FileOut, status_code=202, tags=[ADMIN])
async def reindex_file(file_id: uuid.UUID, principal: Authenticated) -> FileOut:
    return knowledge_files.reindex_file(principal, file_id)


@app.get("/v1/knowledge/usage", response_model=StorageUsageOut)
async def storage_usage(principal: Authenticated) -> StorageUsageOut:
    return knowledge_files.storage_usage(principal)


@app.get("/v1/knowledge/drafts", response_model=list[DraftOut], tags=[ADMIN])
async def list_drafts(principal: Authenticated) -> list[DraftOut]:
    return knowledge_drafts.list_drafts(principal)


@app.post("/v1/knowledge/drafts", response_model=DraftOut, status_code=201, tags=[ADMIN])
async def create_draft(body: DraftIn, principal: Authenticated) -> DraftOut:
    """A draft article from a content-gap topic: written by the model when one is configured,
    otherwise a template listing the customers' questions."""
    return knowledge_drafts.create_draft(principal, body)


@app.get("/v1/knowledge/drafts/{draft_id}", response_model=DraftOut, tags=[ADMIN])
async def get_draft(draft_id: uuid.UUID, principal: Authenticated) -> DraftOut:
    return knowledge_drafts.get_draft(principal, draft_id)


@app.patch("/v1/knowledge/drafts/{draft_id}", response_model=DraftOut, tags=[ADMIN])
async def update_draft(draft_id: uuid.UUID, body: DraftPatch, principal: Authenticated) -> DraftOut:
    return knowledge_drafts.update_draft(principal, draft_id, body)


@app.post("/v1/knowledge/drafts/{draft_id}/publish", response_model=DraftOut, tags=[ADMIN])
async def publish_draft(draft_id: uuid.UUID, body: DraftPublishIn, principal: Authenticated) -> DraftOut:
    """The draft as a Markdown file of the category, indexed like any upload."""
    return knowledge_drafts.publish_draft(principal, draft_id, body)


@app.get("/v1/knowledge/sources", response_model=list[SourceOut])
async def list_sources(principal: Authenticated) -> list[SourceOut]:
    return knowledge_sources.list_sources(principal)


@app.post("/v1/knowledge/sources", response_model=SourceOut, status_code=201, tags=[ADMIN])
async def create_source(body: SourceIn, principal: Authenticated) -> SourceOut:
    """A website (start page or sitemap) or a Zendesk help centre kept in sync as knowledge files
    of a category. Its first sync starts at once."""
    return knowledge_sources.create_source(principal, body)


@app.get("/v1/knowledge/sources/{source_id}", response_model=SourceOut)
async def get_source(source_id: uuid.UUID, principal: Authenticated) -> SourceOut:
    return knowledge_sources.get_source(principal, source_id)


@app.patch("/v1/knowledge/sources/{source_id}", response_model=SourceOut, tags=[ADMIN])
async def update_source(source_id: uuid.UUID, body: SourcePatch, principal: Authenticated) -> SourceOut:
    return knowledge_sources.update_source(principal, source_id, body)


@app.delete("/v1/knowledge/sources/{source_id}", status_code=204, tags=[ADMIN])
async def delete_source(source_id: uuid.UUID, principal: Authenticated) -> Response:
    """The source and every page it brought into the knowledge base."""
    knowledge_sources.delete_source(principal, source_id)
    return Response(status_code=204)


@app.post("/v1/knowledge/sources/{source_id}/syncs", response_model=SyncOut, status_code=202, tags=[ADMIN])
async def sync_source(source_id: uuid.UUID, principal: Authenticated) -> SyncOut:
    """Sync now; while a sync runs, that sync is returned."""
    return knowledge_sources.sync_now(principal, source_id)


@app.get("/v1/knowledge/sources/{source_id}/syncs", response_model=list[SyncOut])
async def list_source_syncs(source_id: uuid.UUID, principal: Authenticated) -> list[SyncOut]:
    return knowledge_sources.list_syncs(principal, source_id)


@app.get("/v1/knowledge/sources/{source_id}/syncs/{sync_id}/items", response_model=SyncItemListOut)
async def list_sync_items(
    source_id: uuid.UUID,
    sync_id: uuid.UUID,
    principal: Authenticated,
    outcome: Literal["pending", "new", "changed", "unchanged", "listed", "failed", "skipped"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> SyncItemListOut:
    """What one sync found, page by page, with the reason of each failure or skip."""
    return knowledge_sources.list_sync_items(
        principal, source_id, sync_id, outcome=outcome, limit=limit, cursor=cursor
    )


handler = lambda_handler(app)
