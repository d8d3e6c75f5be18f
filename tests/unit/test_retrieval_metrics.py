from __future__ import annotations

import pytest

from devtools.retrieval_eval import (
    Question,
    evaluate,
    load_questions,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    relevance,
)


def test_metrics_on_known_rankings() -> None:
    assert ndcg_at([1, 0, 0], 10) == 1.0
    assert ndcg_at([0, 1, 0], 10) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg_at([0] * 10 + [1], 10) == 0.0
    assert (recall_at([0, 0, 0, 0, 1], 5), recall_at([0, 0, 0, 0, 0, 1], 5)) == (1.0, 0.0)
    assert (reciprocal_rank([0, 0, 1]), reciprocal_rank([0, 0])) == (pytest.approx(1 / 3), 0.0)


def test_relevance_ignores_whitespace_and_case() -> None:
    assert relevance(["The window is\n30  days long.", "unrelated"], "window is 30 days") == [1, 0]


def test_evaluate_averages_over_questions() -> None:
    questions = [
        Question("q1", "c", "?", "d.md", "alpha beta", "direct"),
        Question("q2", "c", "?", "d.md", "gamma delta", "direct"),
    ]
    ranked = {"q1": ["alpha beta here"], "q2": ["nothing", "gamma delta"]}
    scores = evaluate(questions, lambda q: ranked[q.id])
    assert scores.recall5 == 1.0 and scores.mrr == pytest.approx(0.75) and scores.questions == 2


def test_the_committed_set_loads() -> None:
    questions = load_questions()
    assert len(questions) >= 100 and len({q.company for q in questions}) >= 3
