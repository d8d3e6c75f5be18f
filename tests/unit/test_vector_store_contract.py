"""Both vector backends pass the same contract, and the company door cannot be walked around."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatapp.integrations.vector_store import CompanyVectors, EdgeBackend, ServerBackend, VectorPoint

DIMENSIONS = 8


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]


def _axis(i: int) -> list[float]:
    return [1.0 if j == i else 0.01 for j in range(DIMENSIONS)]


@pytest.fixture(params=["edge", "qdrant-client-local"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "edge":
        edge = EdgeBackend(tmp_path / "qdrant")
        yield edge
        edge.close()
    else:
        from qdrant_client import QdrantClient

        yield ServerBackend(QdrantClient(location=":memory:"))


def _points(file_id: uuid.UUID, category_id: uuid.UUID, axes: list[int]) -> list[VectorPoint]:
    return [VectorPoint(uuid.uuid4(), _axis(a), file_id, category_id) for a in axes]


def test_search_is_scoped_to_company_and_categories(backend) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    cat_a1, cat_a2, cat_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    vectors_a = CompanyVectors(backend, "chunks_test", DIMENSIONS, a)
    vectors_b = CompanyVectors(backend, "chunks_test", DIMENSIONS, b)
    file_a1, file_a2, file_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    vectors_a.upsert(_points(file_a1, cat_a1, [0, 1, 2]))
    vectors_a.upsert(_points(file_a2, cat_a2, [3]))
    # B's point is the exact match for the query: it must still never be returned to A.
    vectors_b.upsert(_points(file_b, cat_b, [0]))

    hits = vectors_a.search(_axis(0), category_ids=[cat_a1, cat_a2], limit=10)
    assert hits and hits[0].file_id == file_a1 and hits[0].score == pytest.approx(1.0, abs=1e-3)
    assert {h.file_id for h in hits} <= {file_a1, file_a2}
    assert [h for h in vectors_a.search(_axis(0), category_ids=[cat_b], limit=10)] == []
    only_a2 = vectors_a.search(_axis(0), category_ids=[cat_a2], limit=10)
    assert {h.file_id for h in only_a2} == {file_a2}
    assert vectors_a.search(_axis(0), category_ids=[], limit=10) == []
    assert [h.file_id for h in vectors_b.search(_axis(0), category_ids=[cat_b], limit=10)] == [file_b]


def test_threshold_limit_count_and_delete_file(backend) -> None:
    company, category = uuid.uuid4(), uuid.uuid4()
    vectors = CompanyVectors(backend, "chunks_test", DIMENSIONS, company)
    keep, drop = uuid.uuid4(), uuid.uuid4()
    vectors.upsert(_points(keep, category, [0, 1]))
    vectors.upsert(_points(drop, category, [0, 2, 3]))
    assert vectors.count() == 5 and vectors.count(drop) == 3
    assert len(vectors.search(_axis(0), category_ids=[category], limit=1)) == 1
    strong = vectors.search(_axis(0), category_ids=[category], limit=10, score_threshold=0.9)
    assert len(strong) == 2 and all(h.score >= 0.9 for h in strong)

    other_company = CompanyVectors(backend, "chunks_test", DIMENSIONS, uuid.uuid4())
    other_company.delete_file(drop)  # another company cannot delete A's file, even knowing its id
    assert vectors.count(drop) == 3
    vectors.delete_file(drop)
    assert vectors.count(drop) == 0 and vectors.count() == 2


def test_upsert_is_idempotent_by_chunk_id(backend) -> None:
    company, category, file_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    vectors = CompanyVectors(backend, "chunks_test", DIMENSIONS, company)
    points = _points(file_id, category, [0, 1, 2])
    vectors.upsert(points)
    vectors.upsert(points)
    assert vectors.count(file_id) == 3


def test_edge_store_persists_and_reopens(tmp_path: Path) -> None:
    company, category, file_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = EdgeBackend(tmp_path / "q")
    CompanyVectors(first, "chunks_test", DIMENSIONS, company).upsert(
        [VectorPoint(uuid.uuid4(), _unit([random.random() for _ in range(DIMENSIONS)]), file_id, category)]
    )
    first.flush()
    first.close()
    second = EdgeBackend(tmp_path / "q")
    assert CompanyVectors(second, "chunks_test", DIMENSIONS, company).count(file_id) == 1
    second.close()


def test_delete_file_can_keep_the_current_generation(backend) -> None:
    company, category, file_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    vectors = CompanyVectors(backend, "chunks_test", DIMENSIONS, company)
    old = [VectorPoint(uuid.uuid4(), _axis(0), file_id, category, generation=1) for _ in range(2)]
    new = [VectorPoint(uuid.uuid4(), _axis(1), file_id, category, generation=2) for _ in range(3)]
    vectors.upsert(old + new)
    vectors.delete_file(file_id, keep_generation=2)
    assert vectors.count(file_id) == 3
    assert {h.chunk_id for h in vectors.search(_axis(1), category_ids=[category], limit=10)} == {
        p.chunk_id for p in new
    }
