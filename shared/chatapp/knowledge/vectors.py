"""The configured embedder and the company's vectors in its collection, for knowledge services."""

from __future__ import annotations

import uuid

from chatapp.integrations.embeddings import get_embedder
from chatapp.integrations.vector_store import CompanyVectors, collection_name, company_vectors


def current_collection() -> str:
    """The collection every company's chunks are indexed into today (layout and embedding model)."""
    return collection_name(get_embedder().model_id)


def for_company(company_id: uuid.UUID) -> CompanyVectors:
    embedder = get_embedder()
    return company_vectors(company_id, embedder.model_id, embedder.dimensions)
