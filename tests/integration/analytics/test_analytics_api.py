"""The analytics API agrees with the rolled-up rows, stays inside the caller's company, validates its
input, and exports CSV a spreadsheet can read."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chatapp.analytics.rollup import rollup_date
from chatapp.db.models.analytics import DailyAnalytics
from chatapp.db.tenancy import TenantContext, tenant_session
from devtools.runner import RouteTable, build_http_event, invoke_http
from devtools.template import functions
from tests.integration.analytics.conftest import DAY, WEB, WHATSAPP, Scenario
from tests.integration.http import ApiClient

RANGE = f"from={DAY}&to={DAY}"


@pytest.fixture(scope="module")
def rolled_up(scenario: Scenario) -> Scenario:
    rollup_date(DAY)
    return scenario


def _get(api: ApiClient, path: str, token: str, status: int = 200) -> Any:
    response = api.get(path, token=token)
    assert response.status == status, (path, response.body)
    return response.body


def _sums(owner_engine: Engine, company_id: Any, **where: Any) -> dict[str, Any]:
    with Session(owner_engine) as db:
        rows = db.scalars(select(DailyAnalytics).filter_by(company_id=company_id, date=DAY, **where)).all()
    names = [
        c.key
        for c in DailyAnalytics.__table__.c
        if c.key not in ("id", "company_id", "agent_id", "channel", "date", "created_at", "updated_at")
    ]
    return {
        n: sum(getattr(r, n) or 0 for r in rows) for n in names if not n.startswith(("avg_", "hourly"))
    } | {"rows": len(rows)}


def test_summary_totals_and_rates_agree_with_the_rows(
    rolled_up: Scenario, api: ApiClient, owner_engine: Engine
) -> None:
    body = _get(api, f"/v1/analytics/summary?{RANGE}", rolled_up.a.tokens["admin"])
    totals, sums = body["totals"], _sums(owner_engine, rolled_up.a.company_id)
    assert body["filter"] == {
        "from": str(DAY),
        "to": str(DAY),
        "agent_id": None,
        "channel": None,
        "timezone": "Asia/Tokyo",
    }
    for name in (
        "total_conversations",
        "new_conversations",
        "resolved_conversations",
        "ai_resolved_conversations",
        "escalated_conversations",
        "abandoned_conversations",
        "total_messages",
        "user_messages",
        "ai_messages",
        "human_agent_messages",
        "total_tokens_used",
        "rag_queries_count",
    ):
        assert totals[name] == sums[name], name
    assert (totals["total_conversations"], totals["resolved_conversations"]) == (6, 2)
    assert totals["resolution_rate"] == 0.3333  # 2 of 6
    assert totals["deflection_rate"] == 0.1667  # c1 only
    assert totals["escalation_rate"] == 0.3333
    # Weighted over responses, not an average of the rows' averages: (134 + 2 + 6) / 5.
    assert totals["avg_response_time"] == 28.4
    assert totals["avg_first_response_time"] == 4.0  # (4 + 2 + 6) / 3
    assert totals["avg_conversation_duration"] == 1101.0  # (603 + 2700) / 3
    assert totals["avg_messages_per_conversation"] == 2.0  # 12 / 6
    assert totals["avg_confidence_score"] == 0.77  # (1.4 + 0.9) / 3
    assert totals["avg_sentiment_score"] == 0.13  # (0.4 + 0.25) / 5
    assert totals["avg_rag_relevance"] == 0.7
    assert Decimal(totals["estimated_cost"]) == sums["estimated_cost"] == Decimal("0.0082")


def test_filters_by_agent_and_channel(rolled_up: Scenario, api: ApiClient, owner_engine: Engine) -> None:
    one, two = rolled_up.a_agents
    token = rolled_up.a.tokens["admin"]
    by_agent = _get(api, f"/v1/analytics/summary?{RANGE}&agent_id={two}", token)["totals"]
    assert (
        by_agent["total_conversations"]
        == _sums(owner_engine, rolled_up.a.company_id, agent_id=two)["total_conversations"]
        == 1
    )
    assert by_agent["deflection_rate"] == 0.0 and by_agent["avg_response_time"] == 6.0
    whatsapp = _get(api, f"/v1/analytics/summary?{RANGE}&agent_id={one}&channel=whatsapp", token)["totals"]
    assert (whatsapp["total_messages"], whatsapp["avg_confidence_score"]) == (2, 0.9)
    assert whatsapp["avg_sentiment_score"] is None and whatsapp["resolution_rate"] == 0.0


def test_timeseries_has_a_point_per_day_and_splits(rolled_up: Scenario, api: ApiClient) -> None:
    token = rolled_up.a.tokens["admin"]
    start, end = DAY - timedelta(days=1), DAY + timedelta(days=1)
    body = _get(api, f"/v1/analytics/timeseries?from={start}&to={end}", token)
    (series,) = body["series"]
    assert [p["date"] for p in series["points"]] == [str(start), str(DAY), str(end)]
    assert [p["total_conversations"] for p in series["points"]] == [0, 6, 0]
    assert series["points"][0]["avg_response_time"] is None

    split = _get(api, f"/v1/analytics/timeseries?from={start}&to={end}&split=agent", token)
    by_agent = {s["agent_id"]: s for s in split["series"]}
    one, two = (str(a) for a in rolled_up.a_agents)
    assert set(by_agent) == {one, two}
    assert by_agent[two]["agent_name"] == "=Second bot"
    assert [p["total_messages"] for p in by_agent[one]["points"]] == [0, 9, 0]
    assert [p["total_messages"] for p in by_agent[two]["points"]] == [0, 3, 0]

    channels = _get(api, f"/v1/analytics/timeseries?{RANGE}&split=channel", token)
    assert {s["channel"]: s["points"][0]["total_conversations"] for s in channels["series"]} == {
        WEB.value: 5,
        WHATSAPP.value: 1,
    }
    monthly = _get(api, f"/v1/analytics/timeseries?from=2026-05-20&to={DAY}&group_by=month", token)
    assert [(p["date"], p["total_conversations"]) for p in monthly["series"][0]["points"]] == [
        ("2026-05-01", 0),
        ("2026-06-01", 6),
    ]


def test_busiest_hours_are_local_hours(rolled_up: Scenario, api: ApiClient) -> None:
    body = _get(api, f"/v1/analytics/busiest-hours?{RANGE}", rolled_up.a.tokens["admin"])
    counts = {h["hour"]: h["customer_messages"] for h in body["hours"]}
    assert len(body["hours"]) == 24
    assert {h: c for h, c in counts.items() if c} == {0: 2, 9: 1, 10: 1, 12: 1, 23: 1}
    assert [h["hour"] for h in body["busiest"]] == [0, 9, 10]


def _raw_get(path: str, token: str) -> dict[str, Any]:
    routes = RouteTable(functions())
    route, spec, params = routes.match("GET", path.split("?")[0])  # type: ignore[misc]
    event = build_http_event(
        route, "GET", path, {"host": "127.0.0.1", "authorization": f"Bearer {token}"}, b"", params
    )
    response, _ = invoke_http(spec, event)
    return response


def test_csv_export_parses_and_matches_the_rows(rolled_up: Scenario, owner_engine: Engine) -> None:
    response = _raw_get(f"/v1/analytics/export.csv?{RANGE}", rolled_up.a.tokens["admin"])
    assert response["statusCode"] == 200
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == f'attachment; filename="analytics-{DAY}-to-{DAY}.csv"'
    lines = list(csv.DictReader(io.StringIO(response["body"])))
    assert len(lines) == 3
    assert {line["agent_name"] for line in lines} == {"AnalyticsA bot", "'=Second bot"}  # not a formula
    assert sum(int(line["total_messages"]) for line in lines) == 12
    assert sum(Decimal(line["estimated_cost"]) for line in lines) == Decimal("0.0082")
    web = next(
        line for line in lines if line["channel"] == "web" and line["agent_id"] == str(rolled_up.a_agents[0])
    )
    assert (web["date"], web["avg_response_time"], web["resolved_conversations"]) == (str(DAY), "44.67", "1")


def test_company_b_sees_only_its_own_rows(rolled_up: Scenario, api: ApiClient) -> None:
    token = rolled_up.b.tokens["admin"]
    totals = _get(api, f"/v1/analytics/summary?{RANGE}", token)["totals"]
    assert (totals["total_conversations"], totals["total_messages"]) == (3, 4)
    for path in ("summary", "timeseries", "busiest-hours"):
        body = _get(api, f"/v1/analytics/{path}?{RANGE}&agent_id={rolled_up.a_agents[1]}", token, 404)
        assert body["error"]["code"] == "agent_not_found"
    with tenant_session(TenantContext.company_service(rolled_up.b.company_id)) as db:
        companies = set(db.scalars(select(DailyAnalytics.company_id)))
    assert companies == {rolled_up.b.company_id}


def test_support_agents_need_the_analytics_permission(
    rolled_up: Scenario, api: ApiClient, owner_engine: Engine
) -> None:
    from chatapp.db.models.core import User

    path = f"/v1/analytics/summary?{RANGE}"
    assert _get(api, path, rolled_up.a.tokens["support"], 403)["error"]["code"] == "permission_denied"
    with Session(owner_engine) as db, db.begin():
        db.get(User, rolled_up.a.support_agent_id).permissions = {"analytics": ["read"]}  # type: ignore[union-attr]
    try:
        assert _get(api, path, rolled_up.a.tokens["support"])["totals"]["total_conversations"] == 6
    finally:
        with Session(owner_engine) as db, db.begin():
            db.get(User, rolled_up.a.support_agent_id).permissions = {}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("from=2026-06-10&to=2026-06-01", "invalid_range"),
        ("from=2025-01-01&to=2026-06-10", "range_too_long"),
        ("to=2020-01-01&from=2027-01-01", "invalid_range"),
        # Found by `./run fuzz`: the default `from`, 29 days before year 1's 9 January, overflowed (500).
        ("to=0001-01-09", "date_out_of_range"),
        ("from=0001-01-01&to=0001-01-02", "date_out_of_range"),
        ("from=9999-12-30&to=9999-12-31", "date_out_of_range"),
    ],
)
def test_bad_ranges_are_refused_with_a_code(
    rolled_up: Scenario, api: ApiClient, query: str, code: str
) -> None:
    for path in ("summary", "timeseries", "busiest-hours", "export.csv"):
        response = api.get(f"/v1/analytics/{path}?{query}", token=rolled_up.a.tokens["admin"])
        assert response.status == 400 and response.body["error"]["code"] == code, (path, response.body)
    assert (
        api.get(
            "/v1/analytics/summary?from=2026-01-01&to=2026-12-31", token=rolled_up.a.tokens["admin"]
        ).status
        == 200
    )


def test_unknown_values_are_rejected(rolled_up: Scenario, api: ApiClient) -> None:
    token = rolled_up.a.tokens["admin"]
    assert api.get("/v1/analytics/summary?channel=fax", token=token).status == 422
    assert api.get("/v1/analytics/timeseries?group_by=hour", token=token).status == 422
    assert api.get("/v1/analytics/summary?from=yesterday", token=token).status == 422
    assert api.get("/v1/analytics/summary").status == 401
