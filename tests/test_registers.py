"""Project registers through the HTTP API: items tracked across successive documents, review, edits that
survive reprocessing, views and owner mapping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import docx
import httpx
import icalendar
import openpyxl
import pytest
from sqlalchemy import delete

from pmdi.core.state import AppState
from pmdi.registers.models import RegisterItem
from pmdi.registers.tasks import rebuild
from tests.conftest import client_for
from tests.helpers import Api, User
from tests.jobs_support import fresh_app, wait_settled

DATA = Path(__file__).parent / "data" / "registers"
WEEKS = [f"falcon-minutes-week{n}.md" for n in (1, 2, 3, 4)]


@dataclass
class Registers:
    state: AppState
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
        yield Registers(app.state.pmdi, client, api, owner, project, {})


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
        text = (
            await registers.client.get(
                f"/api/v1/documents/{mention['document_id']}/text", headers=registers.owner.headers
            )
        ).json()["text"]
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


async def reprocess(registers: Registers, document_id: str) -> None:
    response = await registers.client.post(
        f"/api/v1/documents/{document_id}/reprocess", headers=registers.owner.headers
    )
    assert response.status_code == 200, response.text
    settled = await wait_settled(registers.client, registers.owner, len(registers.documents), within=60)
    assert {d["status"] for d in settled} == {"indexed"}


async def test_reprocessing_keeps_a_users_edits_and_identities(registers: Registers) -> None:
    first = await registers.upload(WEEKS[0])
    before = await registers.items()
    assert {i["review"] for i in before} == {"suggested"}
    venue = find(before, "venue")
    edit = {"text": "Book the offsite venue (Lisbon)", "due_date": "2026-11-02", "priority": "high"}
    response = await registers.client.patch(
        f"/api/v1/register-items/{venue['id']}", json=edit, headers=registers.owner.headers
    )
    assert response.status_code == 200, response.text
    risk = find(before, "supplier")
    accepted = await registers.client.post(
        f"/api/v1/register-items/{risk['id']}/accept", headers=registers.owner.headers
    )
    assert accepted.json()["review"] == "accepted"

    await reprocess(registers, first)
    after = {i["id"]: i for i in await registers.items()}
    assert set(after) == {i["id"] for i in before}, "reprocessing changed item identities"
    kept = after[venue["id"]]
    assert (kept["text"], kept["due_date"], kept["priority"]) == (edit["text"], "2026-11-02", "high")
    assert set(kept["edited_fields"]) == {"text", "due_date", "priority"}
    assert kept["mention_count"] == 1
    assert after[risk["id"]]["review"] == "accepted"
    history = (await registers.item(venue["id"]))["history"]
    assert {(h["field"], h["source"]) for h in history} >= {("due_date", "user"), ("text", "user")}
    audit = await registers.client.get("/api/v1/audit-events", headers=registers.owner.headers)
    actions = [e["action"] for e in audit.json()["items"]]
    assert "register_item.updated" in actions
    assert "register_item.accepted" in actions


async def test_review_reject_merge_split_and_bad_changes(registers: Registers) -> None:
    for name in WEEKS[:2]:
        await registers.upload(name)
    actions = await registers.items(kind="action")
    shortlist, budget = find(actions, "shortlist"), find(actions, "budget")
    headers = registers.owner.headers
    url = "/api/v1/register-items"
    merged = await registers.client.post(
        f"{url}/{budget['id']}/merge", json={"into": shortlist["id"]}, headers=headers
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["mention_count"] == 3
    assert budget["id"] not in {i["id"] for i in await registers.items()}
    budget_mention = next(m for m in merged.json()["mentions"] if "budget" in m["quote"])
    split = await registers.client.post(
        f"{url}/{shortlist['id']}/split", json={"mention_ids": [budget_mention["id"]]}, headers=headers
    )
    assert split.status_code == 201, split.text
    assert split.json()["mention_count"] == 1
    assert "budget" in split.json()["text"].lower()
    await reprocess(registers, registers.documents[WEEKS[1]])
    again = (await registers.item(split.json()["id"]))["mentions"]
    assert [m["quote"] for m in again] == [budget_mention["quote"]], "a user's split was undone"

    rejected = await registers.client.post(f"{url}/{split.json()['id']}/reject", headers=headers)
    assert rejected.json()["review"] == "rejected"
    assert split.json()["id"] not in {i["id"] for i in await registers.items()}
    assert split.json()["id"] in {i["id"] for i in await registers.items(review="rejected")}
    bad = [
        (f"{url}/{shortlist['id']}", {"severity": "high"}),
        (f"{url}/{shortlist['id']}", {"status": "closed"}),
        (f"{url}/{shortlist['id']}", {"text": None}),
        (f"{url}/{shortlist['id']}", {"owner_user_id": "00000000-0000-0000-0000-000000000000"}),
    ]
    for path, body in bad:
        response = await registers.client.patch(path, json=body, headers=headers)
        assert response.status_code in {400, 422}, (body, response.status_code, response.text)
    self_merge = await registers.client.post(
        f"{url}/{shortlist['id']}/merge", json={"into": shortlist["id"]}, headers=headers
    )
    assert self_merge.status_code == 400


async def test_owners_map_to_members_and_views(registers: Registers) -> None:
    for name in WEEKS[:2]:
        await registers.upload(name)
    headers = registers.owner.headers
    assert await registers.items(owner="me") == []
    alias = await registers.client.post(
        "/api/v1/owner-aliases", json={"alias": "Priya Shah", "user_id": registers.owner.id}, headers=headers
    )
    assert alias.status_code == 201, alias.text
    mine = await registers.items(owner="me")
    assert [i["text"] for i in mine] == [find(mine, "shortlist")["text"]]
    assert mine[0]["owner_user_id"] == registers.owner.id
    asked = await registers.client.post(
        "/api/v1/ask", json={"question": "my open action items"}, headers=headers
    )
    assert asked.json()["kind"] == "structured"
    assert {i["owner"] for i in asked.json()["items"]} == {"Priya Shah"}
    assert all("shortlist" in i["text"].lower() for i in asked.json()["items"])
    overdue = await registers.items(view="overdue", today="2026-10-18")
    assert {i["kind"] for i in overdue} == {"action"}
    assert {i["due_date"] for i in overdue} == {"2026-10-14", "2026-10-16"}
    this_week = await registers.items(view="due_this_week", today="2026-10-19")
    assert [i["due_date"] for i in this_week] == ["2026-10-20"]
    by_owner = await registers.client.get(
        "/api/v1/register-summary",
        params={"project": registers.project, "kind": "action", "group_by": "owner"},
        headers=headers,
    )
    assert {g["key"]: g["count"] for g in by_owner.json()} == {
        "Priya Shah": 1,
        "Tom Becker": 1,
        "Ana Ruiz": 1,
    }
    by_severity = await registers.items(kind="risk", severity="high")
    assert len(by_severity) == 1
    changed = await registers.items(changed_since="2999-01-01T00:00:00Z")
    assert changed == []
    created = await registers.client.post(
        "/api/v1/register-items",
        json={
            "project_id": registers.project,
            "kind": "risk",
            "text": "Key staff leave in Q1",
            "severity": "medium",
            "category": "assumption",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["review"] == "accepted"
    assert created.json()["source"] == "manual"
    venue = find(await registers.items(kind="action"), "venue")
    assigned = await registers.client.patch(
        f"/api/v1/register-items/{venue['id']}", json={"owner_user_id": registers.owner.id}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["owner"] == "Registers"  # the member's name replaces "Tom Becker"
    assert {i["id"] for i in await registers.items(owner="me")} == {mine[0]["id"], venue["id"]}
    cleared = await registers.client.patch(
        f"/api/v1/register-items/{venue['id']}", json={"owner": None}, headers=headers
    )
    assert cleared.json()["owner_user_id"] is None
    assert venue["id"] not in {i["id"] for i in await registers.items(owner="me")}
    removed = await registers.client.delete(f"/api/v1/owner-aliases/{alias.json()['id']}", headers=headers)
    assert removed.status_code == 204
    assert await registers.items(owner="me") == []


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `make test` installs poppler-utils"
    return path


async def get_file(registers: Registers, path: str, **params: str) -> httpx.Response:
    response = await registers.client.get(path, params=params, headers=registers.owner.headers)
    assert response.status_code == 200, response.text
    return response


async def test_exports_open_in_their_native_tools(registers: Registers, tmp_path: Path) -> None:
    for name in WEEKS[:2]:
        await registers.upload(name)
    formula = '=HYPERLINK("http://evil.example","click")'
    created = await registers.client.post(
        "/api/v1/register-items",
        json={"project_id": registers.project, "kind": "action", "text": formula, "due_date": "2026-10-30"},
        headers=registers.owner.headers,
    )
    assert created.status_code == 201
    base = f"/api/v1/projects/{registers.project}"

    csv_file = await get_file(registers, f"{base}/export", register="action", format="csv")
    assert csv_file.headers["content-disposition"] == 'attachment; filename="falcon-actions.csv"'
    rows = list(csv.DictReader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert {r["Action"] for r in rows} >= {"Draft the vendor shortlist", "'" + formula}
    assert next(r for r in rows if "shortlist" in r["Action"])["Due date"] == "2026-10-16"

    xlsx = await get_file(registers, f"{base}/export", register="risk", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["ID", "Type", "Risk"]
    risk = [c.value for c in sheet[2]]
    assert risk[header.index("Severity")] == "high"
    assert isinstance(risk[header.index("Confidence")], float)
    assert isinstance(risk[header.index("Mentions")], int)
    assert isinstance(risk[header.index("First mentioned")], dt.datetime)
    actions = openpyxl.load_workbook(
        io.BytesIO((await get_file(registers, f"{base}/export", register="action", format="xlsx")).content)
    ).active
    assert actions is not None
    cells = [(c.value, c.data_type) for row in actions.iter_rows(min_row=2) for c in row]
    assert (formula, "s") in cells, "a formula from a document must stay text"
    dues = [row[3].value for row in actions.iter_rows(min_row=2)]
    assert dt.datetime(2026, 10, 16) in dues

    report = await get_file(registers, f"{base}/report", format="pdf")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report.content)
    await anyio.run_process([tool("pdftoppm"), "-png", "-r", "40", str(pdf), str(tmp_path / "page")])
    assert list(tmp_path.glob("page*.png"))
    text = (await anyio.run_process([tool("pdftotext"), "-layout", str(pdf), "-"])).stdout.decode()
    for expected in (
        "Falcon - project report",
        "Action items",
        "Draft the vendor shortlist",
        "Risks",
        "The key supplier may not deliver",
        "Milestones",
        "Recent decisions",
    ):
        assert expected in text, expected
    markdown = (await get_file(registers, f"{base}/report", format="md")).text
    assert "| Draft the vendor shortlist | Priya Shah | 2026-10-16 |" in markdown
    assert '| =HYPERLINK\\("http://evil.example","click"\\) |' in markdown


async def test_calendar_feeds_validate_and_are_token_protected(registers: Registers) -> None:
    await registers.upload(WEEKS[0])
    await registers.client.post(
        "/api/v1/owner-aliases",
        json={"alias": "Priya Shah", "user_id": registers.owner.id},
        headers=registers.owner.headers,
    )
    project_feed = await registers.client.post(
        "/api/v1/calendar-feeds", json={"project_id": registers.project}, headers=registers.owner.headers
    )
    assert project_feed.status_code == 201, project_feed.text
    personal = await registers.client.post("/api/v1/calendar-feeds", json={}, headers=registers.owner.headers)
    assert personal.status_code == 201
    for feed, expected in ((project_feed, 2), (personal, 1)):
        url = feed.json()["url"]
        assert url.startswith("http")
        assert feed.json()["token"] in url
        response = await registers.client.get("/api/v1/calendar.ics", params={"token": feed.json()["token"]})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(response.content)
        events = list(calendar.walk("VEVENT"))
        assert len(events) == expected, [str(e.get("summary")) for e in events]
        due = {str(e.get("summary")): e.decoded("dtstart") for e in events}
        assert due["Due: Draft the vendor shortlist"] == dt.date(2026, 10, 9)
    bad = await registers.client.get("/api/v1/calendar.ics", params={"token": "x" * 43})
    assert bad.status_code == 404
    listed = await registers.client.get("/api/v1/calendar-feeds", headers=registers.owner.headers)
    assert len(listed.json()) == 2
    assert "token" not in listed.json()[0]
    revoked = await registers.client.delete(
        f"/api/v1/calendar-feeds/{personal.json()['id']}", headers=registers.owner.headers
    )
    assert revoked.status_code == 204
    gone = await registers.client.get("/api/v1/calendar.ics", params={"token": personal.json()["token"]})
    assert gone.status_code == 404


async def test_status_report_diff_between_two_versions(registers: Registers) -> None:
    first = await registers.upload("falcon-status-2026-10-02.md")
    second = await registers.upload("falcon-status-2026-10-09.md")
    response = await registers.client.get(f"/api/v1/documents/{second}/diff", headers=registers.owner.headers)
    assert response.status_code == 200, response.text
    diff = response.json()
    assert diff["against_id"] == first
    texts = {key: [i["text"] for i in diff[key]] for key in diff if key.endswith(("risks", "actions"))}
    assert texts["new_risks"] == ["The data migration could slip because test data is missing"]
    assert texts["closed_risks"] == ["The hardware supplier may not deliver the servers on time"]
    assert texts["dropped_risks"] == []
    assert [(i["text"], i["before"], i["after"]) for i in diff["severity_changes"]] == [
        ("A key developer could leave the team before go-live", "medium", "high")
    ]
    assert [(i["text"], i["before"], i["after"]) for i in diff["slipped"]] == [
        ("Beta release", "2026-10-30", "2026-11-13")
    ]
    assert texts["new_actions"] == ["Request anonymised test data from the client"]
    rag = {c["label"]: (c["before"], c["after"]) for c in diff["rag_changes"]}
    assert rag == {"overall": ("green", "amber"), "schedule": ("green", "red")}
    explicit = await registers.client.get(
        f"/api/v1/documents/{first}/diff", params={"against": second}, headers=registers.owner.headers
    )
    assert explicit.status_code == 200
    none_before = await registers.client.get(
        f"/api/v1/documents/{first}/diff", headers=registers.owner.headers
    )
    assert none_before.status_code == 404
    assert "earlier report" in none_before.json()["detail"]


async def test_ticked_and_struck_items_close_and_raid_rows_keep_their_type(registers: Registers) -> None:
    await registers.upload(WEEKS[0])
    await registers.upload("falcon-checklist-week5.md")
    actions = await registers.items(kind="action")
    assert find(actions, "shortlist")["status"] == "done"
    assert find(actions, "venue")["status"] == "done"
    assert find(actions, "budget")["status"] == "open"
    await registers.upload("falcon-raid-log.md")
    risks = await registers.items(kind="risk")
    assert find(risks, "supplier")["mention_count"] == 2, "the register row is the minutes' risk"
    categories = {i["category"] for i in risks}
    assert categories == {"risk", "assumption", "issue", "dependency"}
    issues = await registers.items(kind="risk", category="issue")
    assert [i["text"] for i in issues] == ["The staging environment is down twice a week"]


async def test_projects_can_auto_accept_confident_items(registers: Registers) -> None:
    response = await registers.client.patch(
        f"/api/v1/projects/{registers.project}",
        json={"auto_accept_confidence": 0.8},
        headers=registers.owner.headers,
    )
    assert response.status_code == 200
    assert response.json()["auto_accept_confidence"] == 0.8
    await registers.upload(WEEKS[0])
    items = await registers.items()
    assert {i["review"] for i in items if i["confidence"] >= 0.8} == {"accepted"}
    assert {i["review"] for i in items if i["confidence"] < 0.8} <= {"suggested"}
    assert await registers.items(review="suggested") == [i for i in items if i["review"] == "suggested"]
    bad = await registers.client.patch(
        f"/api/v1/projects/{registers.project}",
        json={"auto_accept_confidence": 2},
        headers=registers.owner.headers,
    )
    assert bad.status_code == 422


async def test_rebuild_from_stored_analyses_after_an_upgrade(registers: Registers) -> None:
    for name in WEEKS[:3]:
        await registers.upload(name)
    before = {i["text"]: (i["mention_count"], i["due_date"]) for i in await registers.items()}
    async with registers.state.sessionmaker() as session:
        await session.execute(delete(RegisterItem))  # as if the registers had never existed
        await session.commit()
    assert await registers.items() == []
    totals = await rebuild(registers.state)
    assert totals["documents"] == 3
    assert totals["register_mentions"] >= 8
    after = {i["text"]: (i["mention_count"], i["due_date"]) for i in await registers.items()}
    assert after == before


async def test_progress_in_the_same_line_does_not_close_a_risk(registers: Registers) -> None:
    await registers.upload("steering-progress.md")
    risk = find(await registers.items(kind="risk"), "legacy export")
    assert risk["status"] == "open"
    detail = await registers.item(risk["id"])
    assert [m["kind"] for m in detail["mentions"]] == ["item"]


async def test_documents_processed_together_or_out_of_order_give_the_same_registers(
    registers: Registers,
) -> None:
    files = [(name, (DATA / name).read_bytes()) for name in reversed(WEEKS[:3])]
    response = await registers.api.upload(registers.owner, registers.project, *files)
    assert response.status_code == 201, response.text
    for entry in response.json()["items"]:
        registers.documents[entry["document"]["filename"]] = entry["document"]["id"]
    settled = await wait_settled(registers.client, registers.owner, 3, within=90)
    assert {d["status"] for d in settled} == {"indexed"}
    actions = await registers.items(kind="action")
    shortlist = find(actions, "shortlist")
    assert shortlist["mention_count"] == 3
    assert shortlist["due_date"] == "2026-10-16", "the latest document's date must win, whatever the order"
    assert shortlist["text"] == "Draft the vendor shortlist", "the earliest mention names the item"
    assert len(actions) == 3, [a["text"] for a in actions]


def struck_minutes_docx() -> bytes:
    """Week-5 minutes in Word, where the venue task is crossed out."""
    document = docx.Document()
    document.add_heading("Project Falcon — weekly meeting minutes", 1)
    document.add_paragraph("Date: 2026-10-29")
    document.add_paragraph("Attendees: Priya Shah, Tom Becker, Ana Ruiz")
    document.add_heading("Action items", 2)
    struck = document.add_paragraph(style="List Bullet")
    struck.add_run("Tom Becker to book the venue for the offsite").font.strike = True
    document.add_paragraph(
        "Ana Ruiz to send the revised budget to finance by 2026-11-04", style="List Bullet"
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def test_a_task_crossed_out_in_word_is_done(registers: Registers) -> None:
    await registers.upload(WEEKS[0])
    await registers.upload("falcon-minutes-week5.docx", struck_minutes_docx())
    actions = await registers.items(kind="action")
    assert find(actions, "venue")["status"] == "done"
    assert find(actions, "venue")["mention_count"] == 2
    assert find(actions, "budget")["status"] == "open"
