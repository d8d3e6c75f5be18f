"""What an operator sees of a turn: log lines labelled with the company, agent and conversation, and
the figures they page on as CloudWatch metrics (EMF lines on stdout, as Lambda prints them)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from devtools.fake_anthropic import FakeAnthropic, error_reply, text_reply, tool_use_reply
from tests.integration.chat.conftest import ChatShop


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """Every line the Buzzi logger writes during the test, as the JSON Lambda would print."""
    from chatapp.observability import logger

    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(self.format(record)))

    collect = Collect()
    collect.setFormatter(logger.registered_handler.formatter)
    logging.getLogger(logger.name).addHandler(collect)
    yield lines
    logging.getLogger(logger.name).removeHandler(collect)


def _lines(captured: str) -> list[dict[str, Any]]:
    found = []
    for line in captured.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def _metric_names(lines: list[dict[str, Any]]) -> set[str]:
    names = set()
    for line in lines:
        for block in (line.get("_aws") or {}).get("CloudWatchMetrics") or []:
            names.update(metric["Name"] for metric in block["Metrics"])
    return names


def test_a_failing_turn_is_logged_with_its_company_agent_and_conversation(
    shop: ChatShop, claude: FakeAnthropic, log_lines: list[dict[str, Any]]
) -> None:
    claude.script(error_reply(400, "invalid_request_error", "bad request"))
    visitor = shop.visit()
    assert visitor.send("Where is my order?").status == 200

    warning = next(line for line in log_lines if line.get("message") == "language model unavailable")
    assert warning["company_id"] == str(shop.tenant.data.company_id)
    assert warning["agent_id"] == shop.agent_id
    assert warning["conversation_id"] == visitor.conversation_id


def test_turns_latency_and_escalations_are_metrics(
    shop: ChatShop, claude: FakeAnthropic, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # the test environment turns them off
    shop.teach("returns.md", "# Returns\n\nReturns are free within 30 days of delivery.\n")
    claude.script(tool_use_reply("rag_search", {"query": "returns"}), text_reply("Free for 30 days [1]."))
    visitor = shop.visit()
    capsys.readouterr()
    assert visitor.send("Can I return it?").status == 200
    answered = _metric_names(_lines(capsys.readouterr().out))
    assert {"TurnsAnswered", "AnswerLatency", "LanguageModelLatency"} <= answered
    assert "Escalations" not in answered

    handed = shop.widget("POST", "/conversation/handover", token=visitor.token, json_body={})
    assert handed.status == 200, handed.body
    assert "Escalations" in _metric_names(_lines(capsys.readouterr().out))
