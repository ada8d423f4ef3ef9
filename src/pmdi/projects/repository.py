from __future__ import annotations

from pmdi.core.tenancy import OrgRepository
from pmdi.projects.errors import ProjectNotFound
from pmdi.projects.models import Project


class ProjectRepository(OrgRepository[Project]):
    model = Project
    not_found = ProjectNotFound

    async def name_taken(self, name: str, exclude: Project | None = None) -> bool:
        stmt = self.select().where(Project.name == name)
        if exclude is not None:
            stmt = stmt.where(Project.id != exclude.id)
        return bool(await self.list(stmt.limit(1)))
