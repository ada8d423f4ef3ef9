"""A small client for the public API, so tests read as user stories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from pmdi.documents.models import DocumentStatus

PASSWORD = "a long enough password"


@dataclass
class User:
    email: str
    id: str
    headers: dict[str, str] = field(default_factory=dict)
    access_token: str = ""
    refresh_token: str = ""


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def user(self, prefix: str = "user", password: str = PASSWORD) -> User:
        email = unique_email(prefix)
        response = await self.client.post(
            "/api/v1/auth/register", json={"email": email, "password": password, "full_name": prefix.title()}
        )
        assert response.status_code == 201, response.text
        user = User(email=email, id=response.json()["id"])
        await self.login(user, password)
        return user

    async def login(self, user: User, password: str = PASSWORD) -> None:
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": password}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        user.access_token, user.refresh_token = body["access_token"], body["refresh_token"]
        user.headers = {"Authorization": f"Bearer {user.access_token}"}

    async def org(self, owner: User, name: str = "Org") -> str:
        response = await self.client.post("/api/v1/orgs", json={"name": name}, headers=owner.headers)
        assert response.status_code == 201, response.text
        org_id: str = response.json()["id"]
        return org_id

    async def add_member(self, owner: User, org_id: str, role: str, prefix: str | None = None) -> User:
        member = await self.user(prefix or role)
        invited = await self.client.post(
            f"/api/v1/orgs/{org_id}/invitations",
            json={"email": member.email, "role": role},
            headers=owner.headers,
        )
        assert invited.status_code == 201, invited.text
        accepted = await self.client.post(
            "/api/v1/invitations/accept", json={"token": invited.json()["token"]}, headers=member.headers
        )
        assert accepted.status_code == 200, accepted.text
        return member

    async def project(self, user: User, name: str | None = None, org_id: str | None = None) -> str:
        headers = {**user.headers, **({"X-Org-Id": org_id} if org_id else {})}
        response = await self.client.post(
            "/api/v1/projects", json={"name": name or f"P {uuid.uuid4().hex[:6]}"}, headers=headers
        )
        assert response.status_code == 201, response.text
        project_id: str = response.json()["id"]
        return project_id

    async def upload(
        self, user: User, project_id: str, *files: tuple[str, bytes], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        multipart = [("files", (name, content, "application/octet-stream")) for name, content in files]
        return await self.client.post(
            f"/api/v1/projects/{project_id}/documents",
            files=multipart,
            headers={**user.headers, **(headers or {})},
        )

    async def uploaded(self, user: User, project_id: str, name: str, content: bytes) -> dict[str, Any]:
        response = await self.upload(user, project_id, (name, content))
        assert response.status_code == 201, response.text
        document: dict[str, Any] = response.json()["items"][0]["document"]
        return document


def text_file(words: str = "Meeting notes. Action: Ann to send the budget by Friday.") -> bytes:
    return (words + " " + uuid.uuid4().hex).encode()


# Any status a healthy document passes through or ends in.
NOT_FAILED = {status.value for status in DocumentStatus} - {"failed", "cancelled"}

PIPELINE_EVENTS = [
    "document.status",  # queued
    "document.status",  # extracting
    "job.progress",
    "job.progress",
    "document.status",  # analyzing
    "job.progress",
    "job.progress",
    "analysis.ready",
    "document.status",  # indexing
    "job.progress",
    "job.progress",
    "document.status",  # indexed
    "document.processed",
]


@dataclass
class RemoteAccount:
    headers: dict[str, str]
    token: str
    project_id: str


async def remote_account(base: str, name: str) -> RemoteAccount:
    """Register, log in, create an organisation and a project on a running server."""
    api = f"{base}/api/v1"
    credentials = {"email": f"{name}-{uuid.uuid4().hex[:6]}@example.org", "password": PASSWORD}
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.post(f"{api}/auth/register", json=credentials)).status_code == 201
        token = (await client.post(f"{api}/auth/login", json=credentials)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        await client.post(f"{api}/orgs", json={"name": name}, headers=headers)
        project = (await client.post(f"{api}/projects", json={"name": name}, headers=headers)).json()["id"]
    return RemoteAccount(headers, token, project)
