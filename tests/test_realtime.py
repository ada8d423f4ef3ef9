"""Live progress over WebSocket and SSE, across API processes, isolated per organisation."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.cluster import Cluster, cluster
from tests.helpers import PIPELINE_EVENTS, remote_account


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def upload(base: str, headers: dict[str, str], project: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/api/v1/projects/{project}/documents",
            files={"files": ("notes.txt", b"Ann will send the budget by Friday.")},
            headers=headers,
        )
    assert response.status_code == 201, response.text
    document_id: str = response.json()["items"][0]["document"]["id"]
    return document_id


async def connect(base: str, token: str) -> Any:
    socket_ = await websockets.connect(base.replace("http", "ws") + f"/api/v1/ws?access_token={token}")
    assert json.loads(await asyncio.wait_for(socket_.recv(), 10)) == {"type": "ready"}
    return socket_


async def events_until_processed(socket_: Any, document_id: str) -> list[dict[str, Any]]:
    """Its events up to the final one; a failure ends the wait early so the assertion shows it."""
    received = []
    async with asyncio.timeout(60):
        while True:
            message = json.loads(await socket_.recv())
            if message.get("data", {}).get("document_id") == document_id:
                received.append(message)
                if message["type"] in {"document.processed", "document.failed"}:
                    return received


async def silent(socket_: Any, seconds: float) -> list[dict[str, Any]]:
    heard = []
    try:
        while True:
            message = json.loads(await asyncio.wait_for(socket_.recv(), seconds))
            if message["type"] not in {"ping", "ready"}:
                heard.append(message)
    except TimeoutError:
        return heard


@pytest.fixture(scope="module")
async def scaled_out(tmp_root: Path) -> Any:
    async with cluster(tmp_root) as running:
        running.start_worker()
        yield running, running.start_server(free_port()), running.start_server(free_port())


async def test_events_reach_clients_of_either_api_process_and_only_their_organisation(
    scaled_out: tuple[Cluster, str, str],
) -> None:
    _, first, second = scaled_out
    alpha, beta = await remote_account(first, "alpha"), await remote_account(first, "beta")
    headers_a, token_a, project_a, token_b = alpha.headers, alpha.token, alpha.project_id, beta.token
    on_first, on_second, other_org = (
        await connect(first, token_a),
        await connect(second, token_a),
        await connect(first, token_b),
    )
    document_id = await upload(first, headers_a, project_a)

    via_first = await events_until_processed(on_first, document_id)
    via_second = await events_until_processed(on_second, document_id)
    assert [e["type"] for e in via_first] == PIPELINE_EVENTS
    assert via_first == via_second
    ids = [e["id"] for e in via_first]
    assert ids == sorted(ids)
    assert [e["data"].get("progress") for e in via_first if e["type"] == "job.progress"] == [
        0,
        33,
        33,
        66,
        66,
        100,
    ]
    assert await silent(other_org, 1.0) == []

    resumed = await sse_after(second, token_a, ids[0], expected=len(ids) - 1)
    assert [(e["id"], e["type"]) for e in resumed] == [(e["id"], e["type"]) for e in via_first[1:]]
    for socket_ in (on_first, on_second, other_org):
        await socket_.close()


async def sse_after(base: str, token: str, last_id: int, expected: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(last_id)}
    events: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(timeout=30) as client,
        client.stream("GET", f"{base}/api/v1/events", headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
                if len(events) == expected:
                    return events
    return events


async def test_stream_authorisation(scaled_out: tuple[Cluster, str, str]) -> None:
    _, first, _ = scaled_out
    token_a = (await remote_account(first, "gamma")).token
    headers_b = (await remote_account(first, "delta")).headers
    async with httpx.AsyncClient() as client:
        orgs_a = await client.get(f"{first}/api/v1/orgs", headers={"Authorization": f"Bearer {token_a}"})
        org_a = orgs_a.json()[0]["id"]
        unauthenticated = await client.get(f"{first}/api/v1/events")
        assert unauthenticated.status_code == 401
        foreign = await client.get(f"{first}/api/v1/events", params={"org_id": org_a}, headers=headers_b)
        assert foreign.status_code == 404
    ws = first.replace("http", "ws") + "/api/v1/ws"
    for url in (
        ws,
        f"{ws}?access_token=garbage",
        f"{ws}?access_token={headers_b['Authorization'][7:]}&org_id={org_a}",
    ):
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(url) as socket_:
                await socket_.recv()
