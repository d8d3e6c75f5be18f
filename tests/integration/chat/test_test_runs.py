"""Agent test runs (issue #19): questions through the real engine in sandbox conversations, on the
test-run queue through the real worker, graded by source match, compared with the previous run,
limited per plan, company-scoped."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from chatapp.db.models.billing import CompanySubscription
from chatapp.db.models.test_runs import RegressionQuestion
from chatapp.integrations import queues
from devtools.fake_anthropic import FakeAnthropic, text_reply, tool_use_reply
from devtools.template import functions
from tests.integration.chat.conftest import ChatShop
from tests.integration.stack import LocalAws

RETURNS = (
    "# Returns\n\nYou can return any item within 30 days of delivery for a full refund. Print the "
    "prepaid label from your order page and drop the parcel at any parcel shop."
)
SHIPPING = (
    "# Shipping\n\nParcels leave our warehouse within two working days. Delivery in Europe takes "
    "three to five days; tracking links arrive by e-mail."
)
WORKER = next(spec for spec in functions() if spec.logical_id == "TestRunWorkerFunction")


@pytest.fixture
def taught(shop: ChatShop, local_aws: LocalAws) -> ChatShop:
    category = shop.tenant.category("Help centre")
    shop.tenant.assign(category)
    for name, text in (("returns.md", RETURNS), ("shipping.md", SHIPPING)):
        file_id = shop.tenant.upload(category, name, text.encode(), "text/markdown")
        local_aws.drain()
        assert shop.tenant.file(file_id)["status"] == "indexed"
    _drain(local_aws)  # questions other tests left behind
    return shop


def _drain(local_aws: LocalAws) -> int:
    """Deliver queued test questions to the real worker until the queue is empty."""
    url, delivered = local_aws.sources.queue_urls["TestRunQueue"], 0
    for _ in range(30):
        messages = local_aws.receive(url)
        if not messages:
            return delivered
        failed = local_aws.sources.deliver_sqs(WORKER, url, messages)
        assert failed == [], failed
        delivered += len(messages)
    raise AssertionError("the test-run queue did not drain")


def _start(shop: ChatShop, body: dict[str, Any], token: str | None = None) -> Any:
    path = f"/v1/agents/{shop.agent_id}/test-runs" + ("/csv" if "csv" in body else "")
    return shop.tenant.call("POST", path, json_body=body, **({"token": token} if token else {}))


def _run(shop: ChatShop, run_id: str) -> dict[str, Any]:
    response = shop.tenant.call("GET", f"/v1/agents/{shop.agent_id}/test-runs/{run_id}")
    assert response.status == 200, response.body
    return response.body


QUESTIONS = [
    {"question": "How do I return an item for a refund?", "expected_source": "returns.md"},
    {"question": "How long does delivery take in Europe?", "expected_source": "shipping.md"},
    {"question": "Can I pay with a gift card?"},
]


def test_a_run_answers_every_question_in_the_background_and_grades_it(
    taught: ChatShop, local_aws: LocalAws
) -> None:
    started = _start(taught, {"name": "Before launch", "questions": QUESTIONS})
    assert started.status == 202, started.body
    assert (started.body["status"], started.body["question_count"], started.body["answered_count"]) == (
        "queued",
        3,
        0,
    )
    assert _drain(local_aws) == 3

    run = _run(taught, started.body["id"])
    assert run["status"] == "finished" and run["answered_count"] == 3 and run["finished_at"]
    returns, shipping, gift = run["results"]
    assert returns["answer"] and returns["source_match"] is True and returns["grade"] == "good"
    assert [c["filename"] for c in returns["citations"]][:1] == ["returns.md"]
    assert shipping["source_match"] is True and shipping["graded_by"] == "source"
    assert gift["grade"] is None and gift["source_match"] is None  # nothing to compare it with offline
    for result in run["results"]:
        assert (
            result["latency_ms"] > 0 and result["would_hand_over"] in (True, False) and result["answered_at"]
        )
    assert run["summary"]["grades"] == {"good": 2, "acceptable": 0, "poor": 0, "ungraded": 1}
    assert run["summary"]["source_match"] == {"expected": 2, "matched": 2}
    assert run["summary"]["previous_run_id"] is None

    # A question delivered again (at least once) is not answered twice.
    queues.send_test_questions(taught.tenant.data.company_id, run["id"], [1])
    assert _drain(local_aws) == 1
    again = _run(taught, run["id"])
    assert again["answered_count"] == 3 and again["results"][0]["answered_at"] == returns["answered_at"]
    listed = taught.tenant.call("GET", f"/v1/agents/{taught.agent_id}/test-runs").body
    assert listed[0]["id"] == run["id"]


def test_questions_come_as_csv_and_a_bad_csv_is_refused(taught: ChatShop, local_aws: LocalAws) -> None:
    csv = "question,expected_answer,expected_source\nHow do I return an item?,Within 30 days,returns.md\n"
    started = _start(taught, {"csv": csv})
    assert started.status == 202 and started.body["question_count"] == 1
    _drain(local_aws)
    [result] = _run(taught, started.body["id"])["results"]
    assert result["expected_answer"] == "Within 30 days" and result["grade"] == "good"

    no_header = _start(taught, {"csv": "How do I return an item?\n"})
    assert no_header.status == 400 and no_header.body["error"]["code"] == "invalid_csv"
    too_many = _start(taught, {"csv": "question\n" + "".join(f"Question {i}?\n" for i in range(51))})
    assert too_many.status == 400 and too_many.body["error"]["code"] == "too_many_questions"
    both = _start(taught, {"csv": "question\nA?\n", "questions": [{"question": "B?"}]})
    assert both.status == 422 and both.body["error"]["code"] == "invalid_input"


def test_a_regrade_sticks_and_the_next_run_says_what_got_worse(taught: ChatShop, local_aws: LocalAws) -> None:
    first = _start(taught, {"questions": QUESTIONS[:2]})
    _drain(local_aws)
    regraded = taught.tenant.call(
        "PATCH",
        f"/v1/agents/{taught.agent_id}/test-runs/{first.body['id']}/results/2",
        json_body={"grade": "acceptable", "reason": "Right, but it should mention tracking"},
    )
    assert regraded.status == 200, regraded.body
    assert (regraded.body["grade"], regraded.body["graded_by"]) == ("acceptable", "person")
    run = _run(taught, first.body["id"])
    assert run["results"][1]["grade_reason"] == "Right, but it should mention tracking"
    assert run["summary"]["grades"]["acceptable"] == 1

    # The same first question, now expecting a file the answer does not cite: it got worse.
    second = _start(
        taught,
        {
            "questions": [
                {"question": QUESTIONS[0]["question"], "expected_source": "shipping.md"},
                QUESTIONS[1],
            ]
        },
    )
    _drain(local_aws)
    summary = _run(taught, second.body["id"])["summary"]
    assert summary["previous_run_id"] == first.body["id"]
    assert (summary["got_worse"], summary["got_better"]) == (1, 1)  # poor < good; good > acceptable


def test_runs_are_limited_per_plan(taught: ChatShop, owner_session: Session) -> None:
    this_month = len(taught.tenant.call("GET", f"/v1/agents/{taught.agent_id}/test-runs").body)
    owner_session.execute(
        update(CompanySubscription)
        .where(CompanySubscription.company_id == taught.tenant.data.company_id)
        .values(custom_limits={"testRunsPerMonth": this_month + 1})
    )
    owner_session.commit()
    assert _start(taught, {"questions": QUESTIONS[:1]}).status == 202
    refused = _start(taught, {"questions": QUESTIONS[:1]})
    assert refused.status == 402 and refused.body["error"]["code"] == "test_run_limit_reached"
    assert f"{this_month + 1} test runs a month" in refused.body["error"]["message"]
    assert refused.body["error"]["limit"] == "testRunsPerMonth"


def test_another_company_can_neither_read_nor_start_our_runs(
    taught: ChatShop, other_shop: ChatShop, local_aws: LocalAws
) -> None:
    ours = _start(taught, {"questions": QUESTIONS[:1]})
    _drain(local_aws)
    base = f"/v1/agents/{taught.agent_id}/test-runs"
    theirs = other_shop.tenant.token
    assert other_shop.tenant.call("GET", f"{base}/{ours.body['id']}", token=theirs).status == 404
    assert other_shop.tenant.call("GET", base, token=theirs).status == 404
    assert (
        other_shop.tenant.call("POST", base, token=theirs, json_body={"questions": QUESTIONS[:1]}).status
        == 404
    )
    own_agent_path = f"/v1/agents/{other_shop.agent_id}/test-runs/{ours.body['id']}"
    assert other_shop.tenant.call("GET", own_agent_path, token=theirs).status == 404
    support = taught.tenant.data.tokens["support"]
    assert (
        taught.tenant.call("POST", base, token=support, json_body={"questions": QUESTIONS[:1]}).status == 403
    )


def test_with_a_language_model_the_grader_grades_and_is_recorded(
    taught: ChatShop, local_aws: LocalAws, claude: FakeAnthropic
) -> None:
    started = _start(
        taught,
        {
            "questions": [
                {
                    "question": "How do I return an item for a refund?",
                    "expected_answer": "Within 30 days, with the prepaid label.",
                    "expected_source": "returns.md",
                }
            ]
        },
    )
    assert started.status == 202, started.body
    assert started.body["grader_model"] and started.body["grader_prompt_version"] == "grader-v1"
    answer = "Return it within 30 days: print the prepaid label from your order page [1]."
    claude.script(
        tool_use_reply("rag_search", {"query": "return an item refund"}),
        text_reply(answer),
        text_reply('{"grade": "acceptable", "reason": "Right, but it leaves out the parcel shop."}'),
    )
    _drain(local_aws)

    run = _run(taught, started.body["id"])
    [result] = run["results"]
    assert result["answer"] == answer and result["source_match"] is True
    assert (result["grade"], result["graded_by"]) == ("acceptable", "model")
    assert result["grade_reason"] == "Right, but it leaves out the parcel shop."
    grader = claude.requests[-1].body
    prompt = grader["messages"][0]["content"]
    assert "Within 30 days, with the prepaid label." in prompt and answer in prompt
    assert "drop the parcel at any parcel shop" in prompt  # the cited passage itself
    assert "good" in grader["system"] and "one line of JSON" in grader["system"]


def test_a_run_becomes_the_regression_set_and_runs_again(
    taught: ChatShop, other_shop: ChatShop, local_aws: LocalAws, owner_session: Session
) -> None:
    base = f"/v1/agents/{taught.agent_id}"
    owner_session.execute(  # the fixtures give every agent one; start from none
        delete(RegressionQuestion).where(RegressionQuestion.agent_id == taught.tenant.data.agent_id)
    )
    owner_session.commit()
    empty = taught.tenant.call("POST", f"{base}/regression-set/runs")
    assert empty.status == 404 and empty.body["error"]["code"] == "regression_set_empty"
    first = _start(taught, {"questions": QUESTIONS})
    _drain(local_aws)
    saved = taught.tenant.call("PUT", f"{base}/regression-set", json_body={"from_run": first.body["id"]})
    assert saved.status == 200, saved.body
    assert [q["question"] for q in saved.body["questions"]] == [q["question"] for q in QUESTIONS]
    assert saved.body["questions"][0]["expected_source"] == "returns.md"

    again = taught.tenant.call("POST", f"{base}/regression-set/runs")
    assert (
        again.status == 202 and again.body["name"] == "Regression set" and again.body["question_count"] == 3
    )
    _drain(local_aws)
    run = _run(taught, again.body["id"])
    assert run["summary"]["previous_run_id"] == first.body["id"]  # the trend: each run against the last
    assert (run["summary"]["got_worse"], run["summary"]["got_better"]) == (0, 0)

    theirs = other_shop.tenant.token
    assert other_shop.tenant.call("GET", f"{base}/regression-set", token=theirs).status == 404
    foreign = other_shop.tenant.call(
        "PUT",
        f"/v1/agents/{other_shop.agent_id}/regression-set",
        token=theirs,
        json_body={"from_run": first.body["id"]},
    )
    assert foreign.status == 404 and foreign.body["error"]["code"] == "test_run_not_found"
