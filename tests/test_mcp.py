"""The MCP server through the official MCP client: over stdio (`pmdi mcp` as a subprocess, as an assistant
launches it) and over Streamable HTTP at /mcp on a real port. Two organisations hold similar documents; an API
key only ever sees its own organisation's."""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp.client import Client, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from pmdi.config import Settings
from tests.conftest import client_for
from tests.helpers import Api, User
from tests.jobs_support import fresh_app, wait_settled
from tests.web_support import live_server

PMDI = str(Path(sys.executable).parent / "pmdi")
DATA = Path(__file__).parent / "data" / "registers"
SHARED = ["falcon-minutes-week1.md", "falcon-raid-log.md"]
# An action due long after any date this test runs on: the one that is never overdue.
ALPHA_PLAN = b"# Falcon planning\n\n## Action items\n- Ana Ruiz to publish the runbook by 2099-01-15.\n"
BETA_ONLY = b"# Zephyr launch\n\n## Action items\n- Olga Petrova to sign the Zephyr contract by 2026-11-02.\n"
TOOLS = {
    "search_documents",
    "ask",
    "list_action_items",
    "list_risks",
    "get_document_analysis",
    "upload_document",
}


@dataclass
class Tenant:
    owner: User
    project: str
    key: str
    documents: set[str] = field(default_factory=set)


@dataclass
class World:
    url: str
    settings: Settings
    api: Api
    alpha: Tenant
    beta: Tenant

    def stdio_env(self, key: str) -> dict[str, str]:
        settings = self.settings
        return {
            "PMDI_DATA_DIR": str(settings.data_dir),
            "PMDI_DATABASE__URL": settings.database.url,
            "PMDI_STORAGE__LOCAL_ROOT": str(settings.storage.local_root),
            "PMDI_AUTH__SECRET_KEY": settings.secret_key(),
            "PMDI_API_KEY": key,
        }

    async def key(self, tenant: Tenant, role: str) -> str:
        created = await self.api.client.post(
            "/api/v1/api-keys", json={"name": role, "role": role}, headers=tenant.owner.headers
        )
        assert created.status_code == 201, created.text
        return str(created.json()["key"])


async def tenant(api: Api, name: str, files: dict[str, bytes]) -> Tenant:
    owner = await api.user(name)
    await api.org(owner, name.title())
    project = await api.project(owner, "Falcon")
    documents = {(await api.uploaded(owner, project, n, content))["id"] for n, content in files.items()}
    created = await api.client.post("/api/v1/api-keys", json={"name": "mcp"}, headers=owner.headers)
    return Tenant(owner, project, created.json()["key"], documents)


@pytest.fixture(scope="module")
async def world(backend: str, tmp_root: Path) -> AsyncIterator[World]:
    async with (
        fresh_app(backend, tmp_root, embedded=True) as (app, settings),
        live_server(app) as url,
        client_for(app) as client,
    ):
        api = Api(client)
        shared = {name: (DATA / name).read_bytes() for name in SHARED}
        status = (DATA / "falcon-status-2026-10-02.md").read_bytes()
        alpha = await tenant(api, "alpha", {**shared, "status.md": status, "plan.md": ALPHA_PLAN})
        beta = await tenant(api, "beta", {**shared, "zephyr.md": BETA_ONLY})
        for org in (alpha, beta):
            settled = await wait_settled(client, org.owner, len(org.documents), within=120)
            assert {d["status"] for d in settled} == {"indexed"}, settled
        yield World(f"{url}/mcp", settings, api, alpha, beta)


def result(called: CallToolResult) -> dict[str, Any]:
    assert not called.is_error, called.content
    assert called.structured_content is not None
    return called.structured_content


def error(called: CallToolResult) -> str:
    assert called.is_error, called.structured_content
    return " ".join(getattr(block, "text", "") for block in called.content)


@asynccontextmanager
async def http_client(world: World, key: str) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http,
        Client(streamable_http_client(world.url, http_client=http)) as client,
    ):
        yield client


async def test_stdio_serves_the_keys_organisation(world: World, tmp_path: Path) -> None:
    params = StdioServerParameters(command=PMDI, args=["mcp"], env=world.stdio_env(world.alpha.key))
    log = tmp_path / "stderr.log"
    with log.open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            listed = await session.list_tools()
            found = result(await session.call_tool("search_documents", {"query": "vendor shortlist"}))
            actions = result(await session.call_tool("list_action_items", {"project": "Falcon"}))
            zephyr = result(await session.call_tool("search_documents", {"query": "Zephyr contract"}))
    assert {tool.name for tool in listed.tools} == TOOLS, log.read_text()
    assert found["hits"], log.read_text()
    assert {hit["document_id"] for hit in found["hits"]} <= world.alpha.documents
    assert "vendor shortlist" in found["hits"][0]["snippet"].lower()
    texts = [item["text"] for item in actions["items"]]
    assert any("vendor shortlist" in text for text in texts), texts
    assert any("server delivery date" in text for text in texts), texts
    assert {item["project_id"] for item in actions["items"]} == {world.alpha.project}
    assert not zephyr["hits"]


async def test_stdio_refuses_to_start_without_a_valid_key(world: World) -> None:
    async def pmdi_mcp(key: str) -> tuple[int, str]:
        env = {**world.stdio_env(key), "PMDI_SEARCH__EMBEDDINGS": "none", "PMDI_WORKER__EMBEDDED": "false"}
        done = await anyio.run_process([PMDI, "mcp"], env=env, check=False)
        return done.returncode, done.stderr.decode()

    assert (await pmdi_mcp(""))[0] == 2
    code, stderr = await pmdi_mcp("pmdi_" + "x" * 40)
    assert (code, "invalid or revoked" in stderr) == (1, True), stderr


async def test_http_results_come_from_the_keys_organisation_only(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    async with http_client(world, alpha.key) as client:
        found = result(await client.call_tool("search_documents", {"query": "hardware supplier servers"}))
        zephyr = result(await client.call_tool("search_documents", {"query": "Zephyr contract"}))
        risks = result(await client.call_tool("list_risks", {"project": alpha.project, "severity": "high"}))
        olga = result(await client.call_tool("list_action_items", {"owner": "Olga Petrova"}))
        answer = result(
            await client.call_tool("ask", {"question": "Who owns the risk about the hardware supplier?"})
        )
        elsewhere = error(
            await client.call_tool("search_documents", {"query": "servers", "project": beta.project})
        )
        foreign = error(
            await client.call_tool("get_document_analysis", {"document_id": next(iter(beta.documents))})
        )
    assert found["hits"]
    assert {hit["document_id"] for hit in found["hits"]} <= alpha.documents
    assert not zephyr["hits"]
    assert risks["items"]
    assert {risk["project_id"] for risk in risks["items"]} == {alpha.project}
    assert any("supplier" in risk["text"] for risk in risks["items"]), [r["text"] for r in risks["items"]]
    assert {risk["severity"] for risk in risks["items"]} == {"high"}
    assert olga["total"] == 0
    assert answer["found"], answer
    assert {c["document_id"] for c in answer["citations"]} <= alpha.documents
    assert "NotFound" in elsewhere
    assert "NotFound" in foreign
    async with http_client(world, beta.key) as client:
        theirs = result(await client.call_tool("search_documents", {"query": "Zephyr contract"}))
    assert theirs["hits"]
    assert {hit["document_id"] for hit in theirs["hits"]} <= beta.documents


async def test_http_overdue_actions_and_a_documents_analysis(world: World) -> None:
    alpha = world.alpha
    async with http_client(world, alpha.key) as client:
        every = result(await client.call_tool("list_action_items", {"project": "Falcon", "limit": 200}))
        overdue = result(await client.call_tool("list_action_items", {"project": "Falcon", "overdue": True}))
        analyses = [
            result(await client.call_tool("get_document_analysis", {"document_id": document_id}))
            for document_id in sorted(alpha.documents)
        ]
    today = dt.date.today().isoformat()
    expected = {
        i["id"] for i in every["items"] if i["due_date"] and i["due_date"] < today and i["status"] == "open"
    }
    assert expected
    assert {i["id"] for i in every["items"]} - expected, "the runbook is due in 2099"
    assert {i["id"] for i in overdue["items"]} == expected
    minutes = next(a for a in analyses if any("vendor shortlist" in i["text"] for i in a["action_items"]))
    assert {a["owner"] for a in minutes["action_items"]} == {"Priya Shah", "Tom Becker"}
    assert all(a["evidence"]["quote"] for a in minutes["action_items"])


async def test_http_project_resources(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    async with http_client(world, alpha.key) as client:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        projects = json.loads((await client.read_resource("pmdi://projects")).contents[0].text)
        glance = json.loads((await client.read_resource(f"pmdi://projects/{alpha.project}")).contents[0].text)
        with pytest.raises(MCPError, match="NotFound"):
            await client.read_resource(f"pmdi://projects/{beta.project}")
    assert [r.uri for r in listed.resources] == ["pmdi://projects"]
    assert [t.uri_template for t in templates.resource_templates] == ["pmdi://projects/{project_id}"]
    assert [p["id"] for p in projects["items"]] == [alpha.project]
    assert glance["project"]["name"] == "Falcon"
    assert {d["id"] for d in glance["documents"]["recent"]} == alpha.documents
    assert glance["registers"]["open"]["action"] >= 2
    assert glance["registers"]["open"]["risk"] >= 1
    assert any("supplier" in risk["text"] for risk in glance["top_risks"])


async def test_http_upload_needs_write_permission_and_finds_duplicates(world: World) -> None:
    alpha = world.alpha
    content = b"# Kickoff\n\n## Action items\n- Ana Ruiz to circulate the kickoff deck by 2026-12-01.\n"
    args = {
        "project_id": alpha.project,
        "filename": 'kick"; name="off.md',
        "content_base64": base64.b64encode(content).decode(),
    }
    async with http_client(world, await world.key(alpha, "viewer")) as client:
        refused = error(await client.call_tool("upload_document", args))
    async with http_client(world, alpha.key) as client:
        first = result(await client.call_tool("upload_document", args))
        again = result(await client.call_tool("upload_document", args))
        garbled = error(await client.call_tool("upload_document", {**args, "content_base64": "not base64!"}))
        path = error(await client.call_tool("upload_document", {**args, "filename": "../evil.md"}))
        elsewhere = error(
            await client.call_tool("upload_document", {**args, "project_id": world.beta.project})
        )
    assert "Forbidden" in refused
    assert "document:write" in refused
    document = first["document"]
    assert (first["duplicate"], document["project_id"], document["original_filename"]) == (
        False,
        alpha.project,
        'kick"; name="off.md',
    )
    assert (again["duplicate"], again["document"]["id"]) == (True, document["id"])
    assert "base64" in garbled
    assert "directories" in path
    assert "NotFound" in elsewhere
    listed = await world.api.client.get(
        f"/api/v1/documents/{document['id']}/content", headers=alpha.owner.headers
    )
    assert listed.content == content


async def test_http_refuses_requests_without_a_valid_api_key(world: World) -> None:
    """Plain JSON-RPC posts without a handshake, as the stateless transport allows (and curl sends)."""
    arguments = {"owner": "Priya Shah"}
    ping = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "list_action_items", "arguments": arguments},
    }
    accept = {"Accept": "application/json, text/event-stream"}
    owner = world.alpha.owner.headers
    created = (await world.api.client.post("/api/v1/api-keys", json={"name": "gone"}, headers=owner)).json()
    await world.api.client.delete(f"/api/v1/api-keys/{created['id']}", headers=owner)
    revoked = created["key"]
    async with httpx.AsyncClient(timeout=30) as http:
        for authorization in (
            None,
            "Bearer pmdi_not_a_key",
            "Basic abc",
            f"Bearer {world.alpha.owner.access_token}",
            f"Bearer {revoked}",
        ):
            headers = {**accept, **({"Authorization": authorization} if authorization else {})}
            response = await http.post(world.url, json=ping, headers=headers)
            assert response.status_code == 401, (authorization, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
        granted = await http.post(
            world.url, json=ping, headers={**accept, "Authorization": f"Bearer {world.alpha.key}"}
        )
    assert granted.status_code == 200, granted.text
    assert granted.json()["result"]["structuredContent"]["total"] >= 1, granted.text
    with pytest.raises(ExceptionGroup) as refused:
        async with http_client(world, "pmdi_" + "y" * 40) as client:
            await client.list_tools()
    assert refused.group_contains(MCPError, match="error response")
