"""Knowledge-article drafts from content-gap topics (docs/content-gaps.md).

An admin turns a topic into a draft: written by the language model when one is configured (from
the topic's questions and the nearest passage the knowledge base had, with placeholders where the
facts are the company's to give), otherwise a Markdown template listing the questions. They edit
it and publish it into a category: the draft becomes a Markdown file of that category, in the same
transaction, and is indexed like any upload.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.agent_runtime.interface import LanguageModelUnavailable
from chatapp.agent_runtime.llm import ClaudeModel
from chatapp.billing.usage import meter_storage
from chatapp.config import get_settings
from chatapp.db.models.content_gaps import ContentGapTopic, KnowledgeDraft
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, InvalidInput, NotFound
from chatapp.knowledge.files import add_direct_upload, require_category
from chatapp.observability import logger
from chatapp.quality.content_gaps import topic_for_draft
from chatapp.quality.schemas import DraftIn, DraftOut, DraftPatch, DraftPublishIn
from chatapp.text import slugify

TEMPLATE = "template"
MAX_TITLE = 120

WRITER = (
    "You write help-centre articles for a company's customers. Customers asked the questions "
    "below and the company's assistant could not answer them well. Write one short article in "
    "Markdown that answers them: start with '# ' and a title, then the answer in plain words, with "
    "steps where there are steps. Use facts from the reference passage only when they fit. Never "
    "invent prices, dates, policies or contact details: write [TODO: what the company must fill "
    "in] instead. Reply with the article only."
)


def _company(principal: Principal) -> uuid.UUID:
    if principal.company_id is None:
        raise InvalidInput("Drafts belong to a company; act within one.", code="company_required")
    return principal.company_id


def _draft(db: Session, draft_id: uuid.UUID, *, lock: bool = False) -> KnowledgeDraft:
    row = owned(db, KnowledgeDraft, draft_id, lock=lock)
    if row is None:
        raise NotFound("No such draft.", code="draft_not_found")
    return row


def _title(question: str) -> str:
    title = " ".join(question.split()).rstrip("?!. ")
    return (title[:1].upper() + title[1:])[:MAX_TITLE] or "New article"


def template(title: str, questions: list[str]) -> str:
    asked = "\n".join(f"- {q}" for q in questions)
    return (
        f"# {title}\n\n"
        "_Customers asked this and the assistant could not answer it well. Write the answer below, "
        "then publish the article into a category._\n\n"
        f"## What customers asked\n\n{asked}\n\n"
        "## Answer\n\n[TODO: the answer, with the steps a customer takes and where to get help]\n"
    )


def _written_by_model(topic: ContentGapTopic, questions: list[str]) -> tuple[str, str] | None:
    settings = get_settings()
    if not settings.uses_language_model:
        return None
    passage = (topic.best_passage or {}).get("text") or "(none)"
    prompt = "Questions:\n" + "\n".join(f"- {q}" for q in questions) + f"\n\nReference passage:\n{passage}"
    try:
        article = ClaudeModel().complete(
            model=settings.llm_default_model, system=WRITER, prompt=prompt, max_tokens=1200
        )
    except LanguageModelUnavailable:
        logger.warning("draft writer unavailable; using the template")
        return None
    return (article, settings.llm_default_model) if article else None


def _heading(markdown: str) -> str | None:
    found = re.search(r"^#\s+(.+)$", markdown, re.MULTILINE)
    return found.group(1).strip()[:MAX_TITLE] if found else None


def create_draft(principal: Principal, data: DraftIn) -> DraftOut:
    require_permission(principal, "knowledge", "write")
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        topic = topic_for_draft(db, data.topic_id)
        questions = [example["text"] for example in topic.example_questions]
        title = _title(topic.label)
    # The model is asked outside the transaction: no row stays locked while it writes.
    written = _written_by_model(topic, questions)
    content, generated_by = written or (template(title, questions), TEMPLATE)
    with tenant_session(principal.context()) as db:
        row = KnowledgeDraft(
            company_id=company_id,
            topic_id=topic_for_draft(db, data.topic_id).id,
            title=_heading(content) or title,
            content=content,
            questions=questions,
            generated_by=generated_by,
            created_by=principal.user_id,
        )
        db.add(row)
        db.flush()
        db.refresh(row)
        return DraftOut.model_validate(row)


def list_drafts(principal: Principal) -> list[DraftOut]:
    require_permission(principal, "knowledge", "read")
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        rows = db.scalars(
            select(KnowledgeDraft)
            .where(KnowledgeDraft.company_id == company_id)
            .order_by(KnowledgeDraft.created_at.desc())
            .limit(200)
        )
        return [DraftOut.model_validate(row) for row in rows]


def get_draft(principal: Principal, draft_id: uuid.UUID) -> DraftOut:
    require_permission(principal, "knowledge", "read")
    _company(principal)
    with tenant_session(principal.context()) as db:
        return DraftOut.model_validate(_draft(db, draft_id))


def _editable(row: KnowledgeDraft) -> None:
    if row.status == "published":
        raise Conflict(
            "This draft is published; edit the knowledge file, or write a new draft.", code="draft_published"
        )


def update_draft(principal: Principal, draft_id: uuid.UUID, patch: DraftPatch) -> DraftOut:
    require_permission(principal, "knowledge", "write")
    _company(principal)
    with tenant_session(principal.context()) as db:
        row = _draft(db, draft_id, lock=True)
        _editable(row)
        changes = patch.model_dump(exclude_unset=True)
        if changes.get("category_id") is not None:
            require_category(db, changes["category_id"])
        for name in ("title", "content"):
            if changes.get(name) is not None:
                setattr(row, name, changes[name])
        if "category_id" in changes:
            row.category_id = changes["category_id"]
        row.updated_at = datetime.now(UTC)
        db.flush()
        return DraftOut.model_validate(row)


def publish_draft(principal: Principal, draft_id: uuid.UUID, data: DraftPublishIn) -> DraftOut:
    """The draft as a Markdown file of the category, queued for indexing; one transaction."""
    require_permission(principal, "knowledge", "write")
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        row = _draft(db, draft_id, lock=True)
        _editable(row)
        category_id = data.category_id or row.category_id
        if category_id is None:
            raise InvalidInput("Choose the category to publish the article into.", code="category_required")
        filename = f"{slugify(row.title, max_length=80) or 'article'}.md"
        stored = add_direct_upload(
            db, principal, category_id, filename, "text/markdown", row.content.encode()
        )
        now = datetime.now(UTC)
        row.status, row.category_id, row.file_id = "published", category_id, stored.id
        row.published_at = row.updated_at = now
        db.flush()
        out = DraftOut.model_validate(row)
    meter_storage(company_id)
    return out
