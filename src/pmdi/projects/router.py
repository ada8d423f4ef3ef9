from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from pmdi.auth.deps import Scoped, authorize, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import PageDep, SessionDep, StateDep
from pmdi.projects import service
from pmdi.projects.deps import load_project
from pmdi.projects.models import Project
from pmdi.projects.schemas import ProjectCreate, ProjectOut, ProjectPage, ProjectUpdate

router = APIRouter(prefix="/projects", tags=["projects"])

ReadProjects = Annotated[OrgContext, Depends(authorize(Permission.PROJECT_READ))]
WriteProjects = Annotated[OrgContext, Depends(authorize(Permission.PROJECT_WRITE))]
ReadableProject = Annotated[
    Scoped[Project], Depends(authorize_resource(Permission.PROJECT_READ, load_project))
]
WritableProject = Annotated[
    Scoped[Project], Depends(authorize_resource(Permission.PROJECT_WRITE, load_project))
]
DeletableProject = Annotated[
    Scoped[Project], Depends(authorize_resource(Permission.PROJECT_DELETE, load_project))
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProjectOut)
async def create_project(data: ProjectCreate, ctx: WriteProjects, session: SessionDep) -> object:
    return await service.create(session, ctx, data)


@router.get("", response_model=ProjectPage)
async def list_projects(ctx: ReadProjects, page: PageDep, session: SessionDep) -> ProjectPage:
    return await service.list_projects(session, ctx, page)


@router.get("/{project_id}", response_model=ProjectOut)
async def get_project(project: ReadableProject) -> object:
    return project.obj


@router.patch("/{project_id}", response_model=ProjectOut)
async def update_project(data: ProjectUpdate, project: WritableProject, session: SessionDep) -> object:
    return await service.update(session, project.ctx, project.obj, data)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project: DeletableProject, session: SessionDep, state: StateDep) -> Response:
    await service.delete(session, state, project.ctx, project.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
