"""Demo data for `make run`: one user, one organisation, one project with sample documents that the
worker analyses once the server runs. Safe to run repeatedly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.principal import OrgContext, Person, Principal
from pmdi.auth.repository import UserRepository
from pmdi.auth.schemas import RegisterIn
from pmdi.auth.service import register
from pmdi.core.errors import NotFound
from pmdi.core.state import AppState
from pmdi.demo_documents import DOCUMENTS
from pmdi.documents.service import upload_documents
from pmdi.organizations.repository import UserMemberships
from pmdi.organizations.schemas import OrganizationOut
from pmdi.organizations.service import create_organization
from pmdi.projects.schemas import ProjectCreate
from pmdi.projects.service import create as create_project

DEMO_EMAIL = "demo@pmdi.dev"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - a published demo credential, printed by `make run`
DEMO_ORG = "Demo Organisation"
DEMO_PROJECT = "Demo Project"


async def create_org_for(session: AsyncSession, email: str, name: str) -> OrganizationOut:
    user = await UserRepository(session).get_by_email(email)
    if user is None:
        raise NotFound(f"No user with email {email}; create it with `pmdi user create` first.")
    return await create_organization(session, Principal(Person.of(user)), name)


async def seed(session: AsyncSession, state: AppState) -> bool:
    if await UserRepository(session).get_by_email(DEMO_EMAIL) is not None:
        return False
    data = RegisterIn(email=DEMO_EMAIL, password=DEMO_PASSWORD, full_name="Demo User")
    user = await register(session, state, data, "seed")
    org = await create_organization(session, Principal(Person.of(user)), DEMO_ORG)
    role = await UserMemberships(session, user.id).role_in(org.id)
    assert role is not None
    ctx = OrgContext(Principal(Person.of(user)), org.id, role)
    project = await create_project(
        session, ctx, ProjectCreate(name=DEMO_PROJECT, description="Upload documents here.")
    )
    boundary = uuid.uuid4().hex
    body = _multipart(boundary)
    await upload_documents(session, state, ctx, project, f"multipart/form-data; boundary={boundary}", body)
    return True


async def _multipart(boundary: str) -> AsyncIterator[bytes]:
    """The samples as one upload request, so they take exactly the path a user's upload takes."""
    for filename, media_type, text in DOCUMENTS:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n"
        ).encode()
        yield text.encode() + b"\r\n"
    yield f"--{boundary}--\r\n".encode()
