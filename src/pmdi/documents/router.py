from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from pmdi.auth.deps import Scoped, authorize, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import PageDep, SessionDep, StateDep
from pmdi.documents import service
from pmdi.documents.deps import load_document
from pmdi.documents.models import Document
from pmdi.documents.schemas import DocumentFilters, DocumentOut, DocumentPage, DocumentText, UploadResult
from pmdi.projects.deps import load_project
from pmdi.projects.models import Project

router = APIRouter(tags=["documents"])

ReadDocuments = Annotated[OrgContext, Depends(authorize(Permission.DOCUMENT_READ))]
UploadTarget = Annotated[
    Scoped[Project], Depends(authorize_resource(Permission.DOCUMENT_WRITE, load_project))
]
ReadableDocument = Annotated[
    Scoped[Document], Depends(authorize_resource(Permission.DOCUMENT_READ, load_document))
]
DeletableDocument = Annotated[
    Scoped[Document], Depends(authorize_resource(Permission.DOCUMENT_DELETE, load_document))
]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


@router.post(
    "/projects/{project_id}/documents",
    response_model=UploadResult,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"description": "Every file was already in the project (duplicate)"}},
)
async def upload_documents(
    request: Request, response: Response, project: UploadTarget, session: SessionDep, state: StateDep
) -> UploadResult:
    result = await service.upload_documents(
        session, state, project.ctx, project.obj, request.headers.get("content-type"), request.stream()
    )
    if all(item.duplicate for item in result.items):
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/documents", response_model=DocumentPage)
async def list_documents(
    ctx: ReadDocuments,
    filters: Annotated[DocumentFilters, Query()],
    page: PageDep,
    session: SessionDep,
) -> DocumentPage:
    return await service.list_documents(session, ctx, filters, page)


@router.get("/documents/{document_id}", response_model=DocumentOut)
async def get_document(document: ReadableDocument) -> object:
    return document.obj


@router.get("/documents/{document_id}/content", response_class=StreamingResponse)
async def download_document(document: ReadableDocument, state: StateDep) -> StreamingResponse:
    return StreamingResponse(
        service.stream_content(state, document.obj),
        media_type=document.obj.media_type,
        headers=service.download_headers(document.obj),
    )


@router.get("/documents/{document_id}/text", response_model=DocumentText)
async def get_document_text(document: ReadableDocument, session: SessionDep) -> DocumentText:
    return await service.extracted_text(session, document.ctx, document.obj)


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(document: DeletableDocument, session: SessionDep, state: StateDep) -> Response:
    await service.delete_document(session, state, document.ctx, document.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
