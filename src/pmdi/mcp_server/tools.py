"""The tools: each parses its arguments, authorises through `authorized` and calls the service function the
JSON API route calls, returning that route's JSON."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field

from pmdi.analysis import service as analysis_service
from pmdi.auth.permissions import Permission
from pmdi.auth.secrets import parse_uuid
from pmdi.core.deps import Page
from pmdi.documents import service as documents_service
from pmdi.documents.repository import DocumentRepository
from pmdi.mcp_server import upload
from pmdi.mcp_server.caller import Call, McpRuntime, authorized
from pmdi.projects.errors import ProjectNotFound
from pmdi.projects.models import Project
from pmdi.projects.repository import ProjectRepository
from pmdi.registers import service as registers_service
from pmdi.registers.models import Kind
from pmdi.registers.schemas import ItemFilters, Level, View
from pmdi.search import answers
from pmdi.search import service as search_service
from pmdi.search.schemas import AskIn, SearchFilters

ProjectRef = Annotated[
    str | None,
    Field(description="A project's id or exact name; every project of the organisation if omitted."),
]
Owner = Annotated[
    str | None, Field(min_length=1, max_length=200, description='A person\'s name as written, or "me".')
]
Limit = Annotated[int, Field(ge=1, le=200, description="At most this many items.")]
_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_UPLOAD = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


async def _project_id(call: Call, ref: str | None) -> uuid.UUID | None:
    if ref is None or not ref.strip():
        return None
    repo = ProjectRepository(call.session, call.ctx.organization_id)
    by_id = parse_uuid(ref.strip())
    if by_id is not None:
        return (await repo.get_or_raise(by_id)).id
    named = await repo.list(repo.select().where(Project.name == ref.strip()).limit(1))
    if not named:
        raise ProjectNotFound()
    return named[0].id


async def search_documents(
    query: Annotated[str, Field(min_length=1, max_length=500)],
    project: ProjectRef = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Hybrid (keyword and meaning) search over the organisation's processed documents. Each hit has the
    document, page, a snippet and the chunk's offsets in the document's text."""
    async with authorized(Permission.DOCUMENT_READ) as call:
        filters = SearchFilters(project=await _project_id(call, project))
        found = await search_service.search(
            call.session, call.state, call.ctx.organization_id, query, filters, limit
        )
    return found.model_dump(mode="json")


async def ask(
    question: Annotated[str, Field(min_length=1, max_length=1000)], project: ProjectRef = None
) -> dict[str, Any]:
    """Answer a question from the documents, with citations (document, page, quote). Questions about action
    items, risks, decisions or milestones are answered from the extracted registers. Never invents: when the
    documents do not say, `found` is false."""
    async with authorized(Permission.DOCUMENT_READ) as call:
        body = AskIn(question=question, project=await _project_id(call, project))
        answer = await answers.ask(call.session, call.state, call.ctx.organization_id, body, call.ctx.user_id)
    return answer.model_dump(mode="json")


async def list_action_items(
    project: ProjectRef = None,
    status: Literal["open", "in_progress", "done", "cancelled"] | None = None,
    owner: Owner = None,
    overdue: Annotated[bool, Field(description="Only open actions past their due date.")] = False,
    limit: Limit = 50,
) -> dict[str, Any]:
    """The action register: action items tracked across documents (owner, due date, status, mentions),
    dated ones first by due date. `total` counts every match, `items` holds at most `limit`."""
    view = View.OVERDUE if overdue else None
    return await _register(Kind.ACTION, project, limit, status=status, owner=owner, view=view)


async def list_risks(
    project: ProjectRef = None,
    severity: Level | None = None,
    status: Literal["open", "mitigating", "closed"] | None = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """The risk register: risks tracked across documents (severity, likelihood, owner, mitigation, status).
    `total` counts every match, `items` holds at most `limit`."""
    return await _register(Kind.RISK, project, limit, severity=severity, status=status)


async def _register(kind: Kind, project: str | None, limit: int, **filters: Any) -> dict[str, Any]:
    async with authorized(Permission.PROJECT_READ) as call:
        chosen = ItemFilters(kind=kind, project=await _project_id(call, project), **filters)
        page = await registers_service.list_items(call.session, call.ctx, chosen, Page(limit=limit, offset=0))
    return page.model_dump(mode="json")


async def get_document_analysis(document_id: uuid.UUID) -> dict[str, Any]:
    """A document's analysis: type, date, summary, action items, risks, decisions, milestones and people,
    each item with its evidence (page and verbatim quote)."""
    async with authorized(Permission.DOCUMENT_READ) as call:
        document = await DocumentRepository(call.session, call.ctx.organization_id).get_or_raise(document_id)
        analysis = await analysis_service.get_analysis(call.session, call.ctx, document)
    return analysis.model_dump(mode="json")


async def upload_document(
    project_id: uuid.UUID,
    filename: Annotated[str, Field(min_length=1, max_length=1024, description="With its extension.")],
    content_base64: Annotated[str, Field(description="The file's bytes, base64-encoded.")],
) -> dict[str, Any]:
    """Add a file (PDF, DOCX, XLSX, PPTX, CSV, TXT, MD, HTML, EML, PNG, JPEG, TIFF) to a project. It is
    processed in the background (its `status` moves on to `indexed`); the same content twice returns the
    existing document with `duplicate: true`."""
    async with authorized(Permission.DOCUMENT_WRITE) as call:
        project = await ProjectRepository(call.session, call.ctx.organization_id).get_or_raise(project_id)
        content = upload.decode(content_base64, call.state.settings.uploads.max_bytes)
        content_type, body = upload.multipart(filename, content)
        result = await documents_service.upload_documents(
            call.session, call.state, call.ctx, project, content_type, upload.chunks(body)
        )
    return result.items[0].model_dump(mode="json")


def register_tools(server: MCPServer[McpRuntime]) -> None:
    for read in (search_documents, ask, list_action_items, list_risks, get_document_analysis):
        server.add_tool(read, annotations=_READ)
    server.add_tool(upload_document, annotations=_UPLOAD)
