"""Grading a test answer with the language model (docs/test-runs.md): the grader compares the
answer with the expected answer, when there is one, and with the passages it cited, and gives good,
acceptable or poor with a one-line reason. Offline there is no grader: source match alone.

The prompt is versioned (`PROMPT_VERSION`, recorded on every run with the grader's model) so runs
graded by different prompts are not compared as if they were alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chatapp.agent_runtime.interface import LanguageModelUnavailable
from chatapp.agent_runtime.llm import ClaudeModel
from chatapp.config import get_settings
from chatapp.observability import logger

PROMPT_VERSION = "grader-v1"
GRADES = ("good", "acceptable", "poor")
MAX_PASSAGE_CHARS = 2000

SYSTEM = (
    "You grade answers that a company's customer-support assistant gave to test questions.\n\n"
    "Grade the answer:\n"
    "- good: it answers the question correctly and completely, says nothing the passages or the "
    "expected answer contradict, and would satisfy a customer;\n"
    "- acceptable: it is correct but incomplete, vague, or sends the customer to a person when the "
    "passages had the answer;\n"
    "- poor: it is wrong, invents facts not in the passages, misses the point, or refuses without need.\n"
    "When an expected answer is given it is the reference; otherwise judge against the cited passages.\n\n"
    'Reply with one line of JSON and nothing else: {"grade": "good" | "acceptable" | "poor", '
    '"reason": "<one sentence>"}'
)


@dataclass(frozen=True)
class ModelGrade:
    grade: str
    reason: str


def grader_model() -> str | None:
    """The model that grades runs started now, or None offline."""
    settings = get_settings()
    return settings.llm_default_model if settings.uses_language_model else None


def grade(question: str, expected_answer: str | None, answer: str, passages: list[str]) -> ModelGrade | None:
    """The model's grade, or None when there is no model or its reply cannot be read."""
    model = grader_model()
    if model is None:
        return None
    cited = "\n\n".join(f"[{n}] {text[:MAX_PASSAGE_CHARS]}" for n, text in enumerate(passages, start=1))
    prompt = (
        f"Question:\n{question}\n\n"
        f"Expected answer:\n{expected_answer or '(none given)'}\n\n"
        f"Cited passages:\n{cited or '(none)'}\n\n"
        f"Answer to grade:\n{answer}"
    )
    try:
        text = ClaudeModel().complete(model=model, system=SYSTEM, prompt=prompt, max_tokens=200)
    except LanguageModelUnavailable:
        return None
    return _read(text)


def _read(text: str) -> ModelGrade | None:
    found = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        verdict = json.loads(found.group(0)) if found else None
    except ValueError:
        verdict = None
    if not isinstance(verdict, dict) or verdict.get("grade") not in GRADES:
        logger.warning("grader reply unreadable")
        return None
    reason = " ".join(str(verdict.get("reason") or "").split())[:500]
    return ModelGrade(str(verdict["grade"]), reason or "No reason given.")
