"""Agents API for the console: agents, their widget settings and the agent package catalogue."""

from __future__ import annotations

import uuid

from fastapi import Response

from chatapp.agents import management, package_catalogue, widget_configs
from chatapp.agents.package_schemas import PackageOut, PackageSummaryOut, PackageUploadIn
from chatapp.agents.schemas import AdminAgentIn, AdminAgentPatch, AgentOut, WidgetConfigIn, WidgetConfigOut
from chatapp.api.access import ADMIN, PLATFORM
from chatapp.api.app import create_app, lambda_handler
from chatapp.api.auth import Authenticated

app = create_app("agents")

# Agent responses are AgentOut, or AdminAgentOut (with the platform's fields) for master admins;
# response_model=None lets each keep its own fields instead of being cut to the declared type.


@app.get("/v1/agents", response_model=None)
async def list_agents(principal: Authenticated, include_archived: bool = False) -> list[AgentOut]:
    return management.list_agents(principal, include_archived=include_archived)


@app.post("/v1/agents", status_code=201, response_model=None, tags=[ADMIN])
async def create_agent(
    body: AdminAgentIn, principal: Authenticated, company_id: uuid.UUID | None = None
) -> AgentOut:
    return management.create_agent(principal, body, company_id)


@app.get("/v1/agents/{agent_id}", response_model=None)
async def read_agent(agent_id: uuid.UUID, principal: Authenticated) -> AgentOut:
    return management.read_agent(principal, agent_id)


@app.patch("/v1/agents/{agent_id}", response_model=None, tags=[ADMIN])
async def update_agent(agent_id: uuid.UUID, body: AdminAgentPatch, principal: Authenticated) -> AgentOut:
    return management.update_agent(principal, agent_id, body)


@app.delete("/v1/agents/{agent_id}", status_code=204, tags=[ADMIN])
async def delete_agent(agent_id: uuid.UUID, principal: Authenticated) -> Response:
    management.delete_agent(principal, agent_id)
    return Response(status_code=204)


@app.get("/v1/agents/{agent_id}/widget", response_model=WidgetConfigOut)
async def read_widget(agent_id: uuid.UUID, principal: Authenticated) -> WidgetConfigOut:
    return widget_configs.read_widget(principal, agent_id)


@app.put("/v1/agents/{agent_id}/widget", response_model=WidgetConfigOut, tags=[ADMIN])
async def save_widget(agent_id: uuid.UUID, body: WidgetConfigIn, principal: Authenticated) -> WidgetConfigOut:
    return widget_configs.save_widget(principal, agent_id, body)


@app.get("/v1/agent-packages", response_model=list[PackageSummaryOut])
async def list_available_packages(principal: Authenticated) -> list[PackageSummaryOut]:
    return package_catalogue.list_available_packages(principal)


@app.get("/v1/admin/agent-packages", response_model=list[PackageOut], tags=[PLATFORM])
async def list_packages(principal: Authenticated) -> list[PackageOut]:
    return package_catalogue.list_packages(principal)


@app.post("/v1/admin/agent-packages", status_code=201, response_model=PackageOut, tags=[PLATFORM])
async def publish_package(body: PackageUploadIn, principal: Authenticated) -> PackageOut:
    return package_catalogue.publish_package(principal, body, body.zip_bytes())


@app.get("/v1/admin/agent-packages/{package_id}", response_model=PackageOut, tags=[PLATFORM])
async def read_package(package_id: uuid.UUID, principal: Authenticated) -> PackageOut:
    return package_catalogue.get_package(principal, package_id)


@app.post("/v1/admin/agent-packages/{package_id}/activate", response_model=PackageOut, tags=[PLATFORM])
async def activate_package(package_id: uuid.UUID, principal: Authenticated) -> PackageOut:
    return package_catalogue.set_active(principal, package_id, True)


@app.post("/v1/admin/agent-packages/{package_id}/deactivate", response_model=PackageOut, tags=[PLATFORM])
async def deactivate_package(package_id: uuid.UUID, principal: Authenticated) -> PackageOut:
    return package_catalogue.set_active(principal, package_id, False)


@app.post("/v1/admin/agent-packages/{package_id}/default", response_model=PackageOut, tags=[PLATFORM])
async def make_default_package(package_id: uuid.UUID, principal: Authenticated) -> PackageOut:
    return package_catalogue.set_default(principal, package_id)


handler = lambda_handler(app)
