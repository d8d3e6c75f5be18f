"""Message sentiment for escalation rules: VADER (rule-based, offline, ~10 ms to load, no model).

Scores are VADER's compound score in [-1, 1] (negative below about -0.05), rounded to the two
decimals `chatapp_messages.sentiment` stores. English-centred: other languages score near 0,
which never triggers a sentiment escalation on its own.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text: str) -> Decimal:
    compound = _analyzer().polarity_scores(text[:5000])["compound"]
    return Decimal(str(round(compound, 2)))
