"""Retrieval quality on the committed evaluation set: nDCG@10, recall@5 and MRR.

A retrieved chunk is relevant when it contains the question's `answer_snippet` (whitespace
normalised). Each question is asked inside its own company, restricted to that company's
knowledge, exactly as an agent would ask it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "retrieval_eval"


@dataclass(frozen=True)
class Question:
    id: str
    company: str
    question: str
    answer_doc: str
    answer_snippet: str
    kind: str


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load_questions(path: Path = EVAL_DIR / "questions.jsonl") -> list[Question]:
    fields = Question.__dataclass_fields__
    return [
        Question(**{k: v for k, v in json.loads(line).items() if k in fields})
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def company_documents(company: str) -> list[Path]:
    return sorted((EVAL_DIR / "companies" / company).glob("*.md"))


def relevance(texts: Sequence[str], snippet: str) -> list[int]:
    needle = normalise(snippet)
    return [1 if needle in normalise(text) else 0 for text in texts]


def ndcg_at(relevant: Sequence[int], k: int) -> float:
    """Binary-relevance nDCG; the ideal ranking puts one relevant chunk first (one chunk holds the answer)."""
    dcg = sum(rel / math.log2(rank + 2) for rank, rel in enumerate(relevant[:k]))
    ideal_count = max(1, min(k, sum(relevant)))
    ideal = sum(1 / math.log2(rank + 2) for rank in range(ideal_count))
    return dcg / ideal


def recall_at(relevant: Sequence[int], k: int) -> float:
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[int]) -> float:
    for rank, rel in enumerate(relevant, start=1):
        if rel:
            return 1.0 / rank
    return 0.0


@dataclass(frozen=True)
class Scores:
    ndcg10: float
    recall5: float
    mrr: float
    questions: int


def evaluate(questions: Sequence[Question], retrieve: Callable[[Question], list[str]]) -> Scores:
    """`retrieve` returns the texts of the top 10 chunks for a question, best first."""
    ndcg = recall = mrr = 0.0
    for question in questions:
        relevant = relevance(retrieve(question)[:10], question.answer_snippet)
        ndcg += ndcg_at(relevant, 10)
        recall += recall_at(relevant, 5)
        mrr += reciprocal_rank(relevant)
    n = max(1, len(questions))
    return Scores(ndcg10=ndcg / n, recall5=recall / n, mrr=mrr / n, questions=len(questions))


# ---------------------------------------------------------------- page-level scoring (public sets)
# A public set labels the pages that answer a question. A ranked list of chunks becomes a ranked list
# of pages, each page at its best chunk, and is scored against the labelled pages.


@dataclass(frozen=True)
class PageScores:
    success1: float
    success5: float
    mrr10: float
    ndcg10: float
    questions: int


def pages_in_order(chunk_pages: Sequence[str]) -> list[str]:
    """Distinct pages in the order of their best chunk."""
    return list(dict.fromkeys(chunk_pages))


def score_pages(ranked_pages: Sequence[Sequence[str]], answers: Sequence[set[str]]) -> PageScores:
    """`ranked_pages[i]` is question i's pages, best first; `answers[i]` the pages that answer it."""
    s1 = s5 = mrr = ndcg = 0.0
    for pages, relevant in zip(ranked_pages, answers, strict=True):
        hits = [1 if page in relevant else 0 for page in pages[:10]]
        s1 += 1.0 if hits[:1] == [1] else 0.0
        s5 += 1.0 if any(hits[:5]) else 0.0
        mrr += next((1.0 / rank for rank, hit in enumerate(hits, start=1) if hit), 0.0)
        dcg = sum(hit / math.log2(rank + 2) for rank, hit in enumerate(hits))
        ideal = sum(1 / math.log2(rank + 2) for rank in range(min(10, len(relevant))))
        ndcg += dcg / ideal if ideal else 0.0
    n = max(1, len(answers))
    return PageScores(s1 / n, s5 / n, mrr / n, ndcg / n, len(answers))
