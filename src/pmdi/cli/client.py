"""The JSON API as the CLI's client commands see it: a remote server, or the app started in this process.

Both modes authenticate with an API key and go through the same routes, so the CLI never bypasses the
permission checks, tenancy or audit trail the API applies.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx

from pmdi.core.errors import BadRequest, NotFound, PmdiError

API_PREFIX = "/api/v1"
_LOCAL_BASE = "http://pmdi.local"
_PAGE_SIZE = 200


class ApiFailed(PmdiError):
    """The server answered with an error; the status and detail are the server's own."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code


class ServerUnreachable(PmdiError):
    status_code = 503


class LocalAppUnavailable(PmdiError):
    status_code = 503


class MissingApiKey(BadRequest):
    default_detail = (
        "An API key is needed: pass --api-key or set PMDI_API_KEY (create one under Settings → API keys "
        "or with POST /api/v1/api-keys)."
    )


class ProjectMissing(NotFound):
    pass


@dataclass(frozen=True)
class Connection:
    """Where the API is: `server` is a base URL, or None to start the app in this process."""

    server: str | None
    api_key: str | None
    timeout: float = 120.0


@dataclass(frozen=True)
class ProjectRef:
    id: str
    name: str


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else response.reason_phrase


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


class PmdiClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.http.request(method, path.lstrip("/"), **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"Cannot reach the server at {self.http.base_url}: {exc}") from exc
        if response.is_error:
            raise ApiFailed(response.status_code, _detail(response))
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.request(method, path, **kwargs)).json()

    async def project(self, name_or_id: str, *, create: bool = False) -> ProjectRef:
        """A project by id or exact name; created when `create` is set and no project has that name."""
        if _is_uuid(name_or_id):
            try:
                body = await self.json("GET", f"/projects/{name_or_id}")
            except ApiFailed as exc:
                if exc.status_code != 404:
                    raise
            else:
                return ProjectRef(body["id"], body["name"])
        found = await self._project_named(name_or_id)
        if found is not None:
            return found
        if not create:
            raise ProjectMissing(f"No project named '{name_or_id}'.")
        try:
            body = await self.json("POST", "/projects", json={"name": name_or_id})
        except ApiFailed as exc:
            # Another client created it between our lookup and our create.
            if exc.status_code == 409 and (found := await self._project_named(name_or_id)):
                return found
            raise
        return ProjectRef(body["id"], body["name"])

    async def _project_named(self, name: str) -> ProjectRef | None:
        offset = 0
        while True:
            page = await self.json("GET", "/projects", params={"limit": _PAGE_SIZE, "offset": offset})
            for item in page["items"]:
                if item["name"] == name:
                    return ProjectRef(item["id"], item["name"])
            offset += _PAGE_SIZE
            if offset >= page["total"]:
                return None

    async def upload(self, project_id: str, path: Path) -> dict[str, Any]:
        """Upload one file, returning `{document, duplicate}`: one a request, so a refusal sinks only it."""
        content = await anyio.Path(path).read_bytes()
        files = [("files", (path.name, content, "application/octet-stream"))]
        body = await self.json("POST", f"/projects/{project_id}/documents", files=files)
        item: dict[str, Any] = body["items"][0]
        return item

    async def document(self, document_id: str) -> dict[str, Any]:
        body: dict[str, Any] = await self.json("GET", f"/documents/{document_id}")
        return body

    async def search(self, query: str, project_id: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"q": query, "limit": limit}
        if project_id:
            params["project"] = project_id
        body: dict[str, Any] = await self.json("GET", "/search", params=params)
        return body

    async def ask(self, question: str, project_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = await self.json(
            "POST", "/ask", json={"question": question, "project": project_id}
        )
        return body

    async def export(self, project_id: str, register: str, export_format: str) -> bytes:
        params = {"register": register, "format": export_format}
        response = await self.request("GET", f"/projects/{project_id}/export", params=params)
        return response.content


@asynccontextmanager
async def connect(connection: Connection) -> AsyncIterator[PmdiClient]:
    """A client for `connection`; in local mode the app (and its embedded worker) lives inside this block."""
    if not connection.api_key:
        raise MissingApiKey()
    headers = {"Authorization": f"Bearer {connection.api_key}"}
    if connection.server:
        base = connection.server.rstrip("/") + API_PREFIX
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=connection.timeout) as http:
            yield PmdiClient(http)
        return
    from pmdi.app import DatabaseNotMigrated, create_app
    from pmdi.config import Settings

    app = create_app(Settings())
    transport = httpx.ASGITransport(app=app)
    base = _LOCAL_BASE + API_PREFIX
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=transport, base_url=base, headers=headers, timeout=connection.timeout
            ) as http,
        ):
            yield PmdiClient(http)
    except DatabaseNotMigrated as exc:
        raise LocalAppUnavailable(str(exc)) from exc
