"""Knowledge categories: a tree per company, and which agents read which categories."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chatapp.access.authorization import require_permission
from chatapp.access.principals import Principal
from chatapp.billing.quotas import categories_in_use, effective_limits, require_room
from chatapp.db.models.agents import AgentKnowledgeCategory
from chatapp.db.models.knowledge import KnowledgeCategory, KnowledgeFile
from chatapp.db.ownership import owned
from chatapp.db.tenancy import tenant_session
from chatapp.errors import Conflict, InvalidInput, NotFound
from chatapp.knowledge.schemas import CategoryIn, CategoryOut, CategoryPatch
from chatapp.text import slugify

MAX_DEPTH = 10


def _category(db: Session, category_id: uuid.UUID) -> KnowledgeCategory:
    category = owned(db, KnowledgeCategory, category_id)
    if category is None:
        raise NotFound("No such knowledge category.", code="category_not_found")
    return category


def _check_parent(db: Session, category_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    """The parent exists, is neither the category nor one of its descendants, and the tree stays shallow."""
    ancestor, depth = parent_id, 1
    while ancestor is not None:
        if ancestor == category_id:
            raise InvalidInput(
                "A category cannot be moved under itself or its own subcategory.", code="category_cycle"
            )
        depth += 1
        if depth > MAX_DEPTH:
            raise InvalidInput(f"Categories nest at most {MAX_DEPTH} levels deep.", code="category_too_deep")
        ancestor = _category(db, ancestor).parent_id


def list_categories(principal: Principal) -> list[CategoryOut]:
    require_permission(principal, "knowledge", "read")
    with tenant_session(principal.context()) as db:
        rows = db.scalars(
            select(KnowledgeCategory).order_by(KnowledgeCategory.sort_order, KnowledgeCategory.name)
        )
        return [CategoryOut.model_validate(row) for row in rows]


def create_category(principal: Principal, data: CategoryIn) -> CategoryOut:
    require_permission(principal, "knowledge", "write")
    company_id = _company(principal)
    with tenant_session(principal.context()) as db:
        limits = effective_limits(db, company_id)
        require_room(
            db,
            limits,
            "knowledgeCategories",
            used=categories_in_use(db, company_id),
            code="category_limit_reached",
            what=f"Your plan allows {limits.number('knowledgeCategories')} knowledge categories.",
        )
        _check_parent(db, None, data.parent_id)
        category = KnowledgeCategory(
            company_id=company_id,
            name=data.name.strip(),
            slug=data.slug or slugify(data.name),
            description=data.description,
            parent_id=data.parent_id,
            sort_order=data.sort_order,
        )
        db.add(category)
        _flush_unique_slug(db)
        return CategoryOut.model_validate(category)


def update_category(principal: Principal, category_id: uuid.UUID, patch: CategoryPatch) -> CategoryOut:
    require_permission(principal, "knowledge", "write")
    with tenant_session(principal.context()) as db:
        category = _category(db, category_id)
        changes = patch.model_dump(exclude_unset=True)
        if "parent_id" in changes:
            _check_parent(db, category.id, changes["parent_id"])
        for field, value in changes.items():
            setattr(category, field, value.strip() if field == "name" else value)
        _flush_unique_slug(db)
        return CategoryOut.model_validate(category)


def delete_category(principal: Principal, category_id: uuid.UUID) -> None:
    require_permission(principal, "knowledge", "delete")
    with tenant_session(principal.context()) as db:
        category = _category(db, category_id)
        if db.scalar(select(exists().where(KnowledgeCategory.parent_id == category.id))):
            raise Conflict("Move or delete its subcategories first.", code="category_has_children")
        if db.scalar(select(exists().where(KnowledgeFile.category_id == category.id))):
            raise Conflict("Move or delete its files first.", code="category_has_files")
        db.delete(category)


def agent_category_ids(db: Session, agent_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        db.scalars(
            select(AgentKnowledgeCategory.category_id)
            .where(AgentKnowledgeCategory.agent_id == agent_id)
            .order_by(AgentKnowledgeCategory.created_at)
        )
    )


def _company(principal: Principal) -> uuid.UUID:
    if principal.company_id is None:
        raise InvalidInput("Knowledge belongs to a company; act within one.", code="company_required")
    return principal.company_id


def _flush_unique_slug(db: Session) -> None:
    try:
        db.flush()
    except IntegrityError as error:
        if "knowledge_cat_company_slug_idx" in str(error.orig):
            raise Conflict("Another category already uses this slug.", code="category_slug_taken") from None
        raise
