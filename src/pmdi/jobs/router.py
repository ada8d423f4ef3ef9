from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pmdi.auth.deps import Scoped, authorize, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import PageDep, SessionDep, StateDep
from pmdi.documents.deps import load_document
from pmdi.documents.models import Document
from pmdi.documents.schemas import DocumentOut
from pmdi.jobs import service
from pmdi.jobs.deps import load_job
from pmdi.jobs.models import Job, JobState
from pmdi.jobs.schemas import JobDetail, JobPage, ReprocessResult
from pmdi.projects.deps import load_project
from pmdi.projects.models import Project

router = APIRouter(tags=["jobs"])

ReadJobs = Annotated[OrgContext, Depends(authorize(Permission.DOCUMENT_READ))]
ReadableJob = Annotated[Scoped[Job], Depends(authorize_resource(Permission.DOCUMENT_READ, load_job))]
WritableDocument = Annotated[
    Scoped[Document], Depends(authorize_resource(Permission.DOCUMENT_WRITE, load_document))
]
WritableProject = Annotated[
    Scoped[Project], Depends(authorize_resource(Permission.DOCUMENT_WRITE, load_project))
]


@router.get("/jobs", response_model=JobPage)
async def list_jobs(
    ctx: ReadJobs,
    page: PageDep,
    session: SessionDep,
    state: Annotated[JobState | None, Query()] = None,
    document_id: Annotated[uuid.UUID | None, Query()] = None,
) -> JobPage:
    return await service.list_jobs(session, ctx, state, document_id, page)


@router.get("/jobs/{job_id}", response_model=JobDetail)
async def get_job(job: ReadableJob, session: SessionDep) -> JobDetail:
    return await service.job_detail(session, job.ctx, job.obj)


@router.post("/documents/{document_id}/reprocess", response_model=DocumentOut)
async def reprocess_document(document: WritableDocument, session: SessionDep, state: StateDep) -> object:
    return await service.reprocess_document(
        session, state.events, state.dispatcher, document.ctx, document.obj
    )


@router.post("/documents/{document_id}/cancel", response_model=DocumentOut)
async def cancel_document(document: WritableDocument, session: SessionDep, state: StateDep) -> object:
    return await service.cancel_document(session, state.events, document.ctx, document.obj)


@router.post("/projects/{project_id}/reprocess", response_model=ReprocessResult)
async def reprocess_project(
    project: WritableProject, session: SessionDep, state: StateDep
) -> ReprocessResult:
    return await service.reprocess_project(
        session, state.events, state.dispatcher, project.ctx, project.obj.id
    )
