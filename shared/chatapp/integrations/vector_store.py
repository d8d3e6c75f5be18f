"""Vectors in Qdrant, behind one interface with two backends, and one tenant-safe door.

* `EdgeBackend` (default, local): Qdrant's embedded engine (`qdrant-edge-py`), persisted to a
  directory that one process owns.
* `ServerBackend`: a Qdrant server through `qdrant-client` (Qdrant Cloud, AWS). Its local
  mode stands in for a server in tests.

Each point carries two vectors: the dense embedding (unnamed) and `lexical`, a sparse vector of
BM25 term weights (`chatapp.knowledge.lexical`). The collection's name includes its layout, so a
store created before the lexical index existed is never mistaken for one that has it.

One collection per embedding model; points carry `company_id` (a keyword index marked
`is_tenant`, so Qdrant lays each company's points out together), `file_id`, `category_id`
and `chunk_id`. Application code only ever holds a `CompanyVectors`, which adds the company
filter to every read, write and delete: no query can reach another company's points.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from chatapp.config import get_settings
from chatapp.integrations.secrets import secret_json

TENANT_KEY = "company_id"
INDEXED_KEYS = ("file_id", "category_id", "generation")
LEXICAL = "lexical"  # the sparse vector's name
LAYOUT = "bm25"  # part of the collection name: dense + sparse BM25 vectors


@dataclass(frozen=True)
class Sparse:
    """A sparse query or document vector: parallel term ids and weights."""

    indices: Sequence[int]
    values: Sequence[float]


# A query is a dense vector or a sparse one (searched against the `lexical` vector).
QueryVector = Sequence[float] | Sparse


@dataclass(frozen=True)
class VectorPoint:
    chunk_id: uuid.UUID
    vector: Sequence[float]
    file_id: uuid.UUID
    category_id: uuid.UUID
    generation: int = 0  # the file's ingest generation that wrote it
    lexical: Sparse | None = None  # BM25 term weights


@dataclass(frozen=True)
class VectorHit:
    chunk_id: uuid.UUID
    score: float
    file_id: uuid.UUID
    category_id: uuid.UUID


# A filter: every key must match one of its values.
Conditions = dict[str, list[str]]


class Backend(Protocol):
    def ensure_collection(self, collection: str, dimensions: int) -> None: ...

    def upsert(
        self, collection: str, points: list[tuple[str, Sequence[float], Sparse | None, dict[str, str]]]
    ) -> None: ...

    def delete(self, collection: str, conditions: Conditions, exclude: Conditions | None = None) -> None: ...

    def search(
        self,
        collection: str,
        vector: QueryVector,
        conditions: Conditions,
        limit: int,
        threshold: float | None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float, dict[str, Any]]]: ...

    def count(self, collection: str, conditions: Conditions) -> int: ...


def collection_name(model_id: str) -> str:
    return f"chunks_{LAYOUT}_" + re.sub(r"[^a-z0-9]+", "_", model_id.lower()).strip("_")


class CompanyVectors:
    """The only way application code touches vectors: every operation is scoped to one company."""

    def __init__(self, backend: Backend, collection: str, dimensions: int, company_id: uuid.UUID) -> None:
        self._backend = backend
        self._collection = collection
        self._company = str(company_id)
        backend.ensure_collection(collection, dimensions)

    @property
    def collection(self) -> str:
        return self._collection

    def _conditions(self, **extra: list[str]) -> Conditions:
        return {TENANT_KEY: [self._company], **{k: v for k, v in extra.items() if v is not None}}

    def upsert(self, points: Sequence[VectorPoint]) -> None:
        self._backend.upsert(
            self._collection,
            [
                (
                    str(p.chunk_id),
                    p.vector,
                    p.lexical,
                    {
                        TENANT_KEY: self._company,
                        "file_id": str(p.file_id),
                        "category_id": str(p.category_id),
                        "chunk_id": str(p.chunk_id),
                        "generation": str(p.generation),
                    },
                )
                for p in points
            ],
        )

    def delete_file(self, file_id: uuid.UUID, *, keep_generation: int | None = None) -> None:
        """Remove a file's points; with `keep_generation`, only those other generations wrote."""
        exclude = {"generation": [str(keep_generation)]} if keep_generation is not None else None
        self._backend.delete(self._collection, self._conditions(file_id=[str(file_id)]), exclude)

    def delete_all(self) -> None:
        """Remove every point of the company (purging a deleted company)."""
        self._backend.delete(self._collection, self._conditions())

    def search(
        self,
        vector: QueryVector,
        *,
        category_ids: Sequence[uuid.UUID],
        limit: int,
        score_threshold: float | None = None,
        among: Sequence[uuid.UUID] | None = None,
    ) -> list[VectorHit]:
        """Nearest points to a dense vector, or best BM25 matches for a `Sparse` one; `among`
        scores just those chunks (fusion needs both scores of every candidate)."""
        if not category_ids or (among is not None and not among):
            return []
        if isinstance(vector, Sparse) and not vector.indices:
            return []
        hits = self._backend.search(
            self._collection,
            vector,
            self._conditions(category_id=[str(c) for c in category_ids]),
            limit,
            score_threshold,
            [str(i) for i in among] if among is not None else None,
        )
        return [
            VectorHit(
                chunk_id=uuid.UUID(point_id),
                score=score,
                file_id=uuid.UUID(payload["file_id"]),
                category_id=uuid.UUID(payload["category_id"]),
            )
            for point_id, score, payload in hits
        ]

    def count(self, file_id: uuid.UUID | None = None) -> int:
        return self._backend.count(
            self._collection, self._conditions(file_id=[str(file_id)] if file_id else None)
        )


class EdgeBackend:
    """Qdrant Edge: an in-process engine, one shard directory per collection."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._shards: dict[str, Any] = {}
        self._lock = threading.RLock()

    def _shard(self, collection: str) -> Any:
        shard = self._shards.get(collection)
        if shard is None:
            raise KeyError(f"collection {collection} is not open")
        return shard

    def ensure_collection(self, collection: str, dimensions: int) -> None:
        if collection in self._shards:
            return
        import qdrant_edge as edge

        with self._lock:
            if collection in self._shards:
                return
            path = self._root / collection
            if (path / "edge_config.json").exists() or (path / "wal").exists():
                shard = edge.EdgeShard.load(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                config = edge.EdgeConfig(
                    vectors=edge.EdgeVectorParams(size=dimensions, distance=edge.Distance.Cosine),
                    sparse_vectors={LEXICAL: edge.EdgeSparseVectorParams()},
                )
                shard = edge.EdgeShard.create(str(path), config)
                shard.update(
                    edge.UpdateOperation.create_field_index(
                        TENANT_KEY, edge.KeywordIndexParams(is_tenant=True)
                    )
                )
                for key in INDEXED_KEYS:
                    shard.update(edge.UpdateOperation.create_field_index(key, edge.PayloadSchemaType.Keyword))
            self._shards[collection] = shard

    @staticmethod
    def _filter(
        conditions: Conditions, exclude: Conditions | None = None, ids: Sequence[str] | None = None
    ) -> Any:
        import qdrant_edge as edge

        def matches(items: Conditions) -> list[Any]:
            return [
                edge.FieldCondition(
                    key=key, match=edge.MatchValue(values[0]) if len(values) == 1 else edge.MatchAny(values)
                )
                for key, values in items.items()
            ]

        must = matches(conditions)
        if ids is not None:
            must.append(edge.HasIdCondition({uuid.UUID(i) for i in ids}))
        return edge.Filter(must=must, must_not=matches(exclude) if exclude else None)

    @staticmethod
    def _vectors(dense: Sequence[float], lexical: Sparse | None) -> Any:
        import qdrant_edge as edge

        if lexical is None:
            return {"": list(dense)}
        return {"": list(dense), LEXICAL: edge.SparseVector(list(lexical.indices), list(lexical.values))}

    def upsert(
        self, collection: str, points: list[tuple[str, Sequence[float], Sparse | None, dict[str, str]]]
    ) -> None:
        import qdrant_edge as edge

        if not points:
            return
        with self._lock:
            self._shard(collection).update(
                edge.UpdateOperation.upsert_points(
                    [edge.Point(i, self._vectors(v, s), p) for i, v, s, p in points]
                )
            )

    def delete(self, collection: str, conditions: Conditions, exclude: Conditions | None = None) -> None:
        import qdrant_edge as edge

        with self._lock:
            operation = edge.UpdateOperation.delete_points_by_filter(self._filter(conditions, exclude))
            self._shard(collection).update(operation)

    def search(
        self,
        collection: str,
        vector: QueryVector,
        conditions: Conditions,
        limit: int,
        threshold: float | None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float, dict[str, Any]]]:
        import qdrant_edge as edge

        if isinstance(vector, Sparse):
            query = edge.Query.Nearest(
                edge.SparseVector(list(vector.indices), list(vector.values)), using=LEXICAL
            )
        else:
            query = edge.Query.Nearest(list(vector))
        request = edge.QueryRequest(
            limit=limit,
            query=query,
            filter=self._filter(conditions, ids=ids),
            with_payload=True,
            score_threshold=threshold,
        )
        return [(str(p.id), p.score, p.payload or {}) for p in self._shard(collection).query(request)]

    def count(self, collection: str, conditions: Conditions) -> int:
        import qdrant_edge as edge

        result: int = self._shard(collection).count(
            edge.CountRequest(filter=self._filter(conditions), exact=True)
        )
        return result

    def flush(self) -> None:
        with self._lock:
            for shard in self._shards.values():
                shard.flush()

    def close(self) -> None:
        with self._lock:
            for shard in self._shards.values():
                shard.close()
            self._shards.clear()


class ServerBackend:
    """A Qdrant server via qdrant-client (or its local mode, in tests)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._known: set[str] = set()

    @classmethod
    def connect(cls, url: str, api_key: str | None) -> ServerBackend:
        from qdrant_client import QdrantClient

        return cls(QdrantClient(url=url, api_key=api_key, timeout=10))

    def ensure_collection(self, collection: str, dimensions: int) -> None:
        if collection in self._known:
            return
        from qdrant_client import models

        if not self._client.collection_exists(collection):
            self._client.create_collection(
                collection,
                vectors_config=models.VectorParams(size=dimensions, distance=models.Distance.COSINE),
                sparse_vectors_config={LEXICAL: models.SparseVectorParams()},
            )
            self._client.create_payload_index(
                collection,
                TENANT_KEY,
                field_schema=models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
            )
            for key in INDEXED_KEYS:
                self._client.create_payload_index(
                    collection, key, field_schema=models.PayloadSchemaType.KEYWORD
                )
        self._known.add(collection)

    @staticmethod
    def _filter(
        conditions: Conditions, exclude: Conditions | None = None, ids: Sequence[str] | None = None
    ) -> Any:
        from qdrant_client import models

        def matches(items: Conditions) -> list[Any]:
            return [
                models.FieldCondition(
                    key=key,
                    match=models.MatchValue(value=values[0])
                    if len(values) == 1
                    else models.MatchAny(any=values),
                )
                for key, values in items.items()
            ]

        must: list[Any] = matches(conditions)
        if ids is not None:
            must.append(models.HasIdCondition(has_id=list(ids)))
        return models.Filter(must=must, must_not=matches(exclude) if exclude else None)

    @staticmethod
    def _vectors(dense: Sequence[float], lexical: Sparse | None) -> Any:
        from qdrant_client import models

        if lexical is None:
            return {"": list(dense)}
        return {
            "": list(dense),
            LEXICAL: models.SparseVector(indices=list(lexical.indices), values=list(lexical.values)),
        }

    def upsert(
        self, collection: str, points: list[tuple[str, Sequence[float], Sparse | None, dict[str, str]]]
    ) -> None:
        from qdrant_client import models

        if points:
            self._client.upsert(
                collection,
                points=[
                    models.PointStruct(id=i, vector=self._vectors(v, s), payload=p) for i, v, s, p in points
                ],
                wait=True,
            )

    def delete(self, collection: str, conditions: Conditions, exclude: Conditions | None = None) -> None:
        from qdrant_client import models

        selector = models.FilterSelector(filter=self._filter(conditions, exclude))
        self._client.delete(collection, points_selector=selector, wait=True)

    def search(
        self,
        collection: str,
        vector: QueryVector,
        conditions: Conditions,
        limit: int,
        threshold: float | None,
        ids: Sequence[str] | None = None,
    ) -> list[tuple[str, float, dict[str, Any]]]:
        from qdrant_client import models

        sparse = isinstance(vector, Sparse)
        response = self._client.query_points(
            collection,
            query=models.SparseVector(indices=list(vector.indices), values=list(vector.values))
            if isinstance(vector, Sparse)
            else list(vector),
            using=LEXICAL if sparse else None,
            query_filter=self._filter(conditions, ids=ids),
            limit=limit,
            with_payload=True,
            score_threshold=threshold,
        )
        return [(str(p.id), p.score, p.payload or {}) for p in response.points]

    def count(self, collection: str, conditions: Conditions) -> int:
        result: int = self._client.count(collection, count_filter=self._filter(conditions), exact=True).count
        return result


@lru_cache(maxsize=1)
def default_backend() -> Backend:
    settings = get_settings()
    if settings.qdrant_url:
        api_key = settings.qdrant_api_key
        if settings.qdrant_api_key_secret_arn:
            api_key = secret_json(settings.qdrant_api_key_secret_arn)["api_key"]
        return ServerBackend.connect(settings.qdrant_url, api_key)
    return EdgeBackend(Path(settings.qdrant_path))


def company_vectors(company_id: uuid.UUID, model_id: str, dimensions: int) -> CompanyVectors:
    return CompanyVectors(default_backend(), collection_name(model_id), dimensions, company_id)
