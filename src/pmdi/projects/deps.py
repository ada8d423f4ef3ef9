from __future__ import annotations

import uuid

from pmdi.auth.deps import OrgContextDep
from pmdi.core.deps import SessionDep
from pmdi.projects.models import Project
from pmdi.projects.repository import ProjectRepository


async def load_project(project_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> Project:
    return await ProjectRepository(session, ctx.organization_id).get_or_raise(project_id)
