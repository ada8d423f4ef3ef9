from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import Page
from pmdi.core.state import AppState
from pmdi.documents.models import Document
from pmdi.documents.service import remove_blobs_after_commit
from pmdi.projects.errors import ProjectNameTaken
from pmdi.projects.models import Project
from pmdi.projects.repository import ProjectRepository
from pmdi.projects.schemas import ProjectCreate, ProjectOut, ProjectPage, ProjectUpdate


async def create(session: AsyncSession, ctx: OrgContext, data: ProjectCreate) -> Project:
    repo = ProjectRepository(session, ctx.organization_id)
    name = data.name.strip()
    if await repo.name_taken(name):
        raise ProjectNameTaken()
    project = await repo.add(
        Project(name=name, description=data.description, auto_accept_confidence=data.auto_accept_confidence)
    )
    await record_in_org(session, ctx, "project.created", ("project", project.id), {"name": name})
    return project


async def list_projects(session: AsyncSession, ctx: OrgContext, page: Page) -> ProjectPage:
    repo = ProjectRepository(session, ctx.organization_id)
    items, total = await repo.page(repo.select().order_by(Project.name), page.limit, page.offset)
    return ProjectPage(
        items=[ProjectOut.model_validate(p) for p in items], total=total, limit=page.limit, offset=page.offset
    )


async def update(session: AsyncSession, ctx: OrgContext, project: Project, data: ProjectUpdate) -> Project:
    repo = ProjectRepository(session, ctx.organization_id)
    if data.name is not None:
        name = data.name.strip()
        if await repo.name_taken(name, exclude=project):
            raise ProjectNameTaken()
        project.name = name
    if data.description is not None:
        project.description = data.description
    if "auto_accept_confidence" in data.model_fields_set:
        project.auto_accept_confidence = data.auto_accept_confidence
    await session.flush()
    await record_in_org(session, ctx, "project.updated", ("project", project.id))
    return project


async def delete(session: AsyncSession, state: AppState, ctx: OrgContext, project: Project) -> None:
    keys = (
        await session.execute(
            select(Document.storage_key).where(
                Document.organization_id == ctx.organization_id, Document.project_id == project.id
            )
        )
    ).scalars()
    remove_blobs_after_commit(session, state, ctx.organization_id, set(keys))
    await ProjectRepository(session, ctx.organization_id).delete(project)
    await record_in_org(session, ctx, "project.deleted", ("project", project.id), {"name": project.name})
