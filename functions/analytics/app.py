"""Analytics for the console: a company's figures from its daily rollups, and the master admin's
platform view."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Query, Response

from chatapp.analytics import copilot_report, queries
from chatapp.analytics.schemas import (
    AnalyticsSummaryOut,
    BusiestHoursOut,
    CopilotReportOut,
    GroupBy,
    PlatformAnalyticsOut,
    Split,
    TimeseriesOut,
)
from chatapp.api.access import ADMIN, PLATFORM
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated
from chatapp.db.enums import ChannelType
from chatapp.platform import analytics as platform_analytics
from chatapp.quality import content_gaps
from chatapp.quality.schemas import ContentGapsOut

app = create_app("analytics")

From = Annotated[
    date | None, Query(alias="from", description="First local day (default: 29 days before `to`).")
]
To = Annotated[date | None, Query(alias="to", description="Last local day, inclusive (default: today).")]


@app.get("/v1/analytics/summary", response_model=AnalyticsSummaryOut, tags=[ADMIN])
async def summary(
    principal: Authenticated,
    start: From = None,
    end: To = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> AnalyticsSummaryOut:
    return queries.summary(principal, start, end, agent_id, channel)


@app.get("/v1/analytics/timeseries", response_model=TimeseriesOut, tags=[ADMIN])
async def timeseries(
    principal: Authenticated,
    start: From = None,
    end: To = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
    group_by: GroupBy = "day",
    split: Split | None = None,
) -> TimeseriesOut:
    return queries.timeseries(principal, start, end, agent_id, channel, group_by, split)


@app.get("/v1/analytics/busiest-hours", response_model=BusiestHoursOut, tags=[ADMIN])
async def busiest_hours(
    principal: Authenticated,
    start: From = None,
    end: To = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> BusiestHoursOut:
    return queries.busiest_hours(principal, start, end, agent_id, channel)


@app.get(
    "/v1/analytics/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The daily rows of the range."}},
    tags=[ADMIN],
)
async def export_csv(
    principal: Authenticated,
    start: From = None,
    end: To = None,
    agent_id: uuid.UUID | None = None,
    channel: ChannelType | None = None,
) -> Response:
    export = queries.export_csv(principal, start, end, agent_id, channel)
    return Response(
        content=export.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@app.get("/v1/analytics/copilot", response_model=CopilotReportOut, tags=[ADMIN])
async def copilot(principal: Authenticated, start: From = None, end: To = None) -> CopilotReportOut:
    """The copilot's suggestions to human agents: sent as they were, edited, ignored, and the
    acceptance rate."""
    return copilot_report.acceptance(principal, start, end)


@app.get("/v1/analytics/content-gaps", response_model=ContentGapsOut, tags=[ADMIN])
async def list_content_gaps(principal: Authenticated, agent_id: uuid.UUID | None = None) -> ContentGapsOut:
    """Topics of the questions answered with low confidence, handed over or rated poorly in the
    last 30 days, as the nightly job clustered them; `agent_id` keeps the topics it was asked in."""
    return content_gaps.list_topics(principal, agent_id)


@app.get("/v1/admin/analytics", response_model=PlatformAnalyticsOut, tags=[PLATFORM])
async def platform(principal: Authenticated, start: From = None, end: To = None) -> PlatformAnalyticsOut:
    return platform_analytics.overview(principal, start, end)


handler = lambda_handler(app)
