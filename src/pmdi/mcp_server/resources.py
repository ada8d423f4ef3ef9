"""The resources: the organisation's projects, and one project at a glance (documents, register counts, the
overdue actions and top risks), from the services behind the projects API and the project home page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from mcp.server.mcpserver import MCPServer

from pmdi.auth.permissions import Permission
from pmdi.auth.secrets import parse_uuid
from pmdi.core.deps import Page
from pmdi.documents import service as documents_service
from pmdi.documents.schemas import DocumentFilters
from pmdi.mcp_server.caller import Call, McpRuntime, authorized, resource_error
from pmdi.projects import service as projects_service
from pmdi.projects.errors import ProjectNotFound
from pmdi.projects.repository import ProjectRepository
from pmdi.projects.schemas import ProjectOut
from pmdi.registers.overview import overview
from pmdi.registers.schemas import ItemOut

PROJECTS_LISTED = 200
RECENT_DOCUMENTS = 20
_DOCUMENT_FIELDS = {"id", "filename", "title", "status", "document_type", "created_at"}


async def projects() -> str:
    async with authorized(Permission.PROJECT_READ, resource_error) as call:
        listed = await projects_service.list_projects(
            call.session, call.ctx, Page(limit=PROJECTS_LISTED, offset=0)
        )
    return listed.model_dump_json()


async def project(project_id: str) -> str:
    async with authorized(Permission.PROJECT_READ, resource_error) as call:
        found = await _at_a_glance(call, project_id)
    return json.dumps(found)


async def _at_a_glance(call: Call, project_id: str) -> dict[str, Any]:
    parsed = parse_uuid(project_id)
    if parsed is None:
        raise ProjectNotFound()
    found = await ProjectRepository(call.session, call.ctx.organization_id).get_or_raise(parsed)
    documents = await documents_service.list_documents(
        call.session, call.ctx, DocumentFilters(project_id=found.id), Page(limit=RECENT_DOCUMENTS, offset=0)
    )
    registers = await overview(call.session, call.ctx, found, dt.date.today())

    def items(listed: list[Any]) -> list[dict[str, Any]]:
        return [ItemOut.model_validate(item).model_dump(mode="json") for item in listed]

    return {
        "project": ProjectOut.model_validate(found).model_dump(mode="json"),
        "documents": {
            "total": documents.total,
            "recent": [d.model_dump(mode="json", include=_DOCUMENT_FIELDS) for d in documents.items],
        },
        "registers": {
            "open": registers.open_counts,
            "overdue_actions": registers.overdue_total,
            "decisions": registers.decisions_total,
            "milestones": registers.milestones_total,
        },
        "overdue_actions": items(registers.overdue),
        "top_risks": items(registers.risks),
    }


def register_resources(server: MCPServer[McpRuntime]) -> None:
    server.resource(
        "pmdi://projects",
        name="projects",
        title="Projects",
        description="The organisation's projects (id, name, description).",
        mime_type="application/json",
    )(projects)
    server.resource(
        "pmdi://projects/{project_id}",
        name="project",
        title="Project at a glance",
        description="A project: its recent documents, open register items by kind, overdue actions and the "
        "top open risks.",
        mime_type="application/json",
    )(project)
