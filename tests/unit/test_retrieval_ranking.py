"""How retrieval orders candidates: blended scores, then each file's best chunk first."""

from __future__ import annotations

import uuid

from pytest import approx

from chatapp.knowledge.retrieval import DENSE_WEIGHT, REPEAT_DISCOUNT, blend, with_repeats_discounted


def test_blend_keeps_how_much_better_the_best_match_is() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    scores = blend({a: 0.9, b: 0.5, c: 0.4}, {b: 12.0, c: 3.0})
    assert scores[a] == approx(DENSE_WEIGHT)  # best cosine, no BM25 match
    assert scores[b] == approx(DENSE_WEIGHT * 0.2 + (1 - DENSE_WEIGHT))  # best BM25
    assert scores[c] == approx((1 - DENSE_WEIGHT) * 0.25)  # lowest cosine, a quarter of the best BM25
    assert blend({a: 0.3}, {}) == {a: 1.0}  # one side alone: all its weight
    assert blend({}, {a: 2.0, b: 1.0}) == {a: 1.0, b: 0.5}


def test_a_files_further_chunks_are_discounted() -> None:
    page, other = uuid.uuid4(), uuid.uuid4()
    best, second, third, elsewhere = (uuid.uuid4() for _ in range(4))
    files = {best: page, second: page, third: page, elsewhere: other}
    scores = with_repeats_discounted({best: 1.0, second: 0.95, third: 0.9, elsewhere: 0.8}, files)
    assert scores[best] == approx(1.0) and scores[elsewhere] == approx(0.8)
    assert scores[second] == approx(0.95 * REPEAT_DISCOUNT)
    assert scores[third] == approx(0.9 * REPEAT_DISCOUNT**2)
    assert sorted(scores, key=scores.__getitem__, reverse=True) == [best, second, elsewhere, third]
