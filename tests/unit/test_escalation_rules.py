from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chatapp.agent_runtime.interface import Reply
from chatapp.agents import business_hours
from chatapp.conversations.escalation_rules import after_answer, before_answer
from chatapp.conversations.sentiment import score

RULES = {"keywords": ["refund", "cancel order"], "sentimentThreshold": -0.5, "autoEscalateAfter": 3}


def test_keywords_match_whole_words_and_phrases_case_insensitively() -> None:
    assert before_answer(RULES, "I need a REFUND.", Decimal("0"), 1).type == "keyword_trigger"
    assert before_answer(RULES, "please cancel order 7", Decimal("0"), 1).details["keyword"] == "cancel order"
    assert before_answer(RULES, "refunded already, thanks", Decimal("0"), 1) is None


def test_an_upset_message_escalates_with_high_priority() -> None:
    sentiment = score("This is terrible, the worst service ever, I am furious!")
    assert sentiment < Decimal("-0.5")
    trigger = before_answer(RULES, "This is terrible, the worst service ever, I am furious!", sentiment, 1)
    assert trigger is not None and trigger.type == "sentiment" and trigger.priority.value == "high"
    assert score("Thanks, that was really helpful!") > 0


@pytest.mark.parametrize(
    "text", ["Can I talk to a human?", "I want a real person", "connect me with an agent please"]
)
def test_asking_for_a_person_is_an_explicit_request(text: str) -> None:
    trigger = before_answer({}, text, Decimal("0"), 1)
    assert trigger is not None and trigger.type == "explicit_request"


def test_too_many_turns_escalate_and_rules_are_optional() -> None:
    assert before_answer(RULES, "and another thing", Decimal("0"), 4).type == "auto_escalate"
    assert before_answer(RULES, "and another thing", Decimal("0"), 3) is None
    assert before_answer(None, "refund", None, 99) is None


def test_after_the_answer_the_models_request_and_low_confidence_escalate() -> None:
    assert after_answer({}, Reply(text="x", handover_reason="needs a refund")).type == "explicit_request"
    low = after_answer({"confidenceThreshold": 0.4}, Reply(text="x", confidence=0.2))
    assert low is not None and low.type == "confidence"
    assert after_answer({"confidenceThreshold": 0.4}, Reply(text="hi", confidence=None)) is None


def test_business_hours_with_time_zones_closed_days_and_overnight_shifts() -> None:
    hours = {
        "timezone": "Europe/Berlin",
        "schedule": {
            "monday": {"start": "09:00", "end": "17:00"},
            "friday": {"start": "22:00", "end": "06:00"},
        },
    }
    monday_morning_utc = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 08:30 in Berlin: not yet
    assert not business_hours.is_open(hours, monday_morning_utc)
    assert business_hours.is_open(hours, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    assert not business_hours.is_open(hours, datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # Tuesday: closed
    assert business_hours.is_open(hours, datetime(2026, 11, 27, 23, 0, tzinfo=UTC))  # Friday night shift
    assert business_hours.is_open(hours, datetime(2026, 11, 28, 4, 0, tzinfo=UTC))  # ... into Saturday
    assert not business_hours.is_open(hours, datetime(2026, 11, 28, 6, 0, tzinfo=UTC))  # 07:00 Saturday
    assert not business_hours.is_open(hours, datetime(2026, 11, 27, 19, 0, tzinfo=UTC))  # Friday 20:00
    assert business_hours.is_open({}, monday_morning_utc)  # no schedule: always staffed
    assert business_hours.describe(hours) == "Mon 09:00-17:00, Fri 22:00-06:00 (Europe/Berlin)"
