"""The test-run screen in a real browser: questions as CSV, the run answered in the background by
the runner's queue worker, the grades shown, and a regrade that sticks (docs/test-runs.md)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.test_console import _sign_in
from tests.browser.test_widget import RETURNS

CSV = (
    "question,expected_source\n"
    "How do I return shoes I do not want?,returns-policy.md\n"
    "Do you sell gift cards?,gift-cards.md\n"
)


def test_an_admin_runs_questions_against_an_agent_and_regrades_an_answer(site: Site, page: Page) -> None:
    site.teach("returns-policy.md", RETURNS)
    _sign_in(page, site, f"/agents/{site.agent_id}")
    page.get_by_role("tab", name="Test runs").click()
    form = page.get_by_role("form", name="New test run")
    form.get_by_label("Name").fill("Before launch")
    form.get_by_label("Questions").fill(CSV)
    form.get_by_role("button", name="Run the test").click()
    expect(form.get_by_role("status")).to_have_text("Running 2 questions.")

    detail = page.get_by_role("region", name="Before launch")
    expect(detail.get_by_role("status")).to_contain_text(
        "2 questions · graded by source match", timeout=30_000
    )
    answers = detail.get_by_role("list", name="Answers").get_by_role("listitem")
    expect(answers).to_have_count(2)
    expect(answers.nth(0)).to_contain_text("returns-policy.md")
    expect(answers.nth(0).locator(".badge")).to_have_text("good")
    expect(answers.nth(1).locator(".badge")).to_have_text("poor")  # gift-cards.md is not in the knowledge

    detail.get_by_label("Grade of question 2").select_option("acceptable")
    expect(detail.get_by_role("status").filter(has_text="Question 2 regraded.")).to_be_visible()
    page.reload()
    page.get_by_role("tab", name="Test runs").click()
    detail = page.get_by_role("region", name="Before launch")
    expect(
        detail.get_by_role("list", name="Answers").get_by_role("listitem").nth(1).locator(".badge")
    ).to_have_text("acceptable")
    runs = page.get_by_role("table", name="Test runs")
    expect(runs).to_contain_text("Before launch")

    # One click makes them the regression set; running it adds a run to the trend.
    detail.get_by_role("button", name="Use as regression set").click()
    expect(detail.get_by_role("status").filter(has_text="now the regression set")).to_be_visible()
    regression = page.get_by_role("region", name="Regression set")
    expect(regression).to_contain_text("2 questions every change to this agent is tested against.")
    regression.get_by_role("button", name="Run the regression set").click()
    rerun = page.get_by_role("region", name="Regression set").last
    expect(rerun.get_by_role("status").first).to_contain_text(
        "2 questions · graded by source match", timeout=30_000
    )
    expect(page.get_by_role("list", name="Trend").get_by_role("listitem")).to_have_count(2)
