"""Project registers through the HTTP API: items tracked across successive documents, review, edits that
survive reprocessing, views and owner mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import client_for
from tests.helpers import Api, User
from tests.jobs_support import fresh_app, wait_settled

DATA = Path(__file__).parent / "data" / "registers"
WEEKS = [f"falcon-minutes-week{n}.md" for n in (1, 2, 3, 4)]


@dataclass
class Registers:
    client: httpx.AsyncClient
    api: Api
    owner: User
    project: str
    documents: dict[str, str]

    async def items(self, user: User | None = None, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            "/api/v1/register-items",
            params={"project": self.project, "limit": 200, **params},
            headers=(user or self.owner).headers,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def item(self, item_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/register-items/{item_id}", headers=self.owner.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def upload(self, name: str, content: bytes | None = None) -> str:
        body = content if content is not None else (DATA / name).read_bytes()
        document = await self.api.uploaded(self.owner, self.project, name, body)
        self.documents[name] = document["id"]
        settled = await wait_settled(self.client, self.owner, len(self.documents), within=60)
        assert {d["status"] for d in settled} == {"indexed"}, settled
        return str(document["id"])


def find(items: list[dict[str, Any]], *words: str) -> dict[str, Any]:
    matches = [i for i in items if all(w in i["text"].lower() for w in words)]
    assert len(matches) == 1, (words, [i["text"] for i in items])
    return matches[0]


@pytest.fixture
async def registers(backend: str, tmp_root: Path) -> AsyncIterator[Registers]:
    async with fresh_app(backend, tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user("registers")
        await api.org(owner, "Falcon Org")
        project = await api.project(owner, "Falcon")
        yield Registers(client, api, owner, project, {})


async def test_one_task_across_three_minutes_then_closed(registers: Registers) -> None:
    for name in WEEKS[:3]:
        await registers.upload(name)
    actions = await registers.items(kind="action")
    shortlist = find(actions, "shortlist")
    assert shortlist["mention_count"] == 3
    assert shortlist["status"] == "open"
    assert shortlist["due_date"] == "2026-10-16"
    detail = await registers.item(shortlist["id"])
    assert [m["mentioned_on"] for m in detail["mentions"]] == ["2026-10-01", "2026-10-08", "2026-10-15"]
    for mention in detail["mentions"]:
        text = (await registers.client.get(
            f"/api/v1/documents/{mention['document_id']}/text", headers=registers.owner.headers
        )).json()["text"]
        assert text[mention["start"] : mention["end"]] == mention["quote"]
    dates = [(h["field"], h["old"], h["new"]) for h in detail["history"]]
    assert ("due_date", "2026-10-09", "2026-10-16") in dates
    budget = find(actions, "budget")
    assert budget["mention_count"] == 2
    assert len(actions) == 3, [a["text"] for a in actions]

    await registers.upload(WEEKS[3])
    closed = await registers.item(shortlist["id"])
    assert closed["status"] == "done"
    assert closed["mention_count"] == 4
    assert closed["mentions"][-1]["kind"] == "update"
    assert "done" in closed["mentions"][-1]["quote"]
    assert ("status", "open", "done") in [(h["field"], h["old"], h["new"]) for h in closed["history"]]
    venue = find(await registers.items(kind="action"), "venue")
    assert venue["status"] == "cancelled"
