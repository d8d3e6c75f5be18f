"""Escalation rules (an agent's `escalation_rules`) decided as pure functions of the turn.

Before the AI answers: keywords, the message's sentiment, an explicit request for a person, and
the number of customer turns. After it answers: the model's own handover request, and how well
its answer is grounded (confidence). The first rule that fires wins; its trigger type and
details are what `chatapp_escalations` records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chatapp.agent_runtime.interface import Reply
from chatapp.db.enums import EscalationPriority

# Phrases customers use to ask for a person; the widget's "talk to a human" button is explicit too.
_PERSON_REQUEST = re.compile(
    r"\b(talk|speak|chat|connect me)\b.{0,20}\b(human|person|agent|someone|representative|operator)\b"
    r"|\b(real|live) (person|human|agent)\b|\bhuman (agent|support|please)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Trigger:
    type: str  # keyword_trigger | sentiment | confidence | explicit_request | auto_escalate | manual
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    priority: EscalationPriority = EscalationPriority.MEDIUM


def before_answer(
    rules: dict[str, Any] | None, text: str, sentiment: Decimal | None, customer_turns: int
) -> Trigger | None:
    rules = rules or {}
    lowered = text.lower()
    for keyword in rules.get("keywords") or []:
        if re.search(rf"(?<!\w){re.escape(str(keyword).lower())}(?!\w)", lowered):
            return Trigger("keyword_trigger", f"Customer mentioned '{keyword}'", {"keyword": keyword})
    threshold = rules.get("sentimentThreshold")
    if threshold is not None and sentiment is not None and float(sentiment) < float(threshold):
        return Trigger(
            "sentiment",
            "Customer sounds upset",
            {"sentimentScore": float(sentiment), "threshold": threshold},
            EscalationPriority.HIGH,
        )
    if _PERSON_REQUEST.search(text):
        return Trigger("explicit_request", "Customer asked for a person", {"source": "customer"})
    limit = rules.get("autoEscalateAfter")
    if limit is not None and customer_turns > int(limit):
        return Trigger(
            "auto_escalate",
            f"More than {limit} customer messages without resolution",
            {"customerTurns": customer_turns, "autoEscalateAfter": limit},
        )
    return None


def after_answer(rules: dict[str, Any] | None, reply: Reply) -> Trigger | None:
    rules = rules or {}
    if reply.handover_reason:
        return Trigger("explicit_request", reply.handover_reason, {"source": "model"})
    threshold = rules.get("confidenceThreshold")
    if threshold is not None and reply.confidence is not None and reply.confidence < float(threshold):
        return Trigger(
            "confidence",
            "The assistant was not confident in its answer",
            {"confidenceScore": reply.confidence, "threshold": threshold},
        )
    return None


def explicit_request(note: str | None = None) -> Trigger:
    """The widget's "talk to a human" button."""
    return Trigger("explicit_request", "Customer asked for a person", {"source": "widget", "note": note})
