"""The API client commands (ingest, watch, export, search, ask) against a live server with a running worker.

Commands run through Typer's CliRunner in a worker thread (they start their own event loop) while the test
server keeps serving on this one; the watch folder is driven pass by pass through `Watcher.scan_once`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import Result
from openpyxl import load_workbook
from typer.testing import CliRunner

from pmdi.cli import app as cli_app
from pmdi.cli.client import Connection, PmdiClient, connect
from pmdi.cli.watch import STATE_DIR, Watcher, WatchEvent, WatchOptions
from pmdi.config import Settings
from tests.conftest import client_for
from tests.helpers import Api, User
from tests.jobs_support import fresh_app, wait_settled
from tests.web_support import live_server

MINUTES = """Project Apollo weekly meeting minutes
Date: 2026-11-02

Attendees: Ann Lee, Bob Stone

Discussion: the quetzal supplier delayed the shipment of the turbine parts.

Action items:
- Ann Lee to send the revised budget by 2026-11-20.
- Bob Stone to confirm the quetzal supplier contract by 2026-11-25.

Decision: we agreed to use the backup supplier.
"""
STATUS = "Status report. The crane inspection passed. Action: Carla Diaz to book the crane by 2026-12-01.\n"
# Poll quickly, and fail a stuck test in a minute rather than at the suite's timeout.
FAST = ("--poll", "0.1", "--timeout", "60")
BROKEN_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without any xref " + b"\x00" * 64


@dataclass
class Server:
    url: str
    key: str
    owner: User
    api: Api
    settings: Settings

    def remote(self) -> list[str]:
        return ["--server", self.url, "--api-key", self.key]


@pytest.fixture(scope="module")
async def server(backend: str, tmp_root: Path) -> AsyncIterator[Server]:
    async with (
        fresh_app(backend, tmp_root, embedded=True) as (app, settings),
        live_server(app) as url,
        client_for(app) as client,
    ):
        api = Api(client)
        owner = await api.user("cli")
        await api.org(owner, "CLI Org")
        created = await client.post("/api/v1/api-keys", json={"name": "cli"}, headers=owner.headers)
        assert created.status_code == 201, created.text
        yield Server(url, created.json()["key"], owner, api, settings)


async def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """The command in a thread: it runs its own event loop while this one keeps serving."""
    runner = CliRunner()
    argv = [str(arg) for arg in args]
    return await anyio.to_thread.run_sync(
        lambda: runner.invoke(cli_app, argv, env={"COLUMNS": "250", **(env or {})})
    )


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


async def project_documents(server: Server, name: str) -> list[dict[str, Any]]:
    client = server.api.client
    projects = await client.get("/api/v1/projects", params={"limit": 200}, headers=server.owner.headers)
    project_id = next(p["id"] for p in projects.json()["items"] if p["name"] == name)
    response = await client.get(
        "/api/v1/documents", params={"project_id": project_id}, headers=server.owner.headers
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def processed_project(server: Server, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A project holding the processed meeting minutes, uploaded through the API."""
    api, name = server.api, unique("Apollo")
    project_id = await api.project(server.owner, name)
    document = await api.uploaded(server.owner, project_id, "minutes.txt", MINUTES.encode())
    await wait_settled(api.client, server.owner, 1, project_id=project_id)
    return name, document


async def test_ingest_uploads_a_folder_and_follows_each_file_until_processed(
    server: Server, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    write(folder, "minutes.txt", MINUTES)
    write(folder, "status.md", STATUS)
    write(folder, ".hidden.txt", "never uploaded")
    name = unique("Ingest")

    result = await run_cli("ingest", folder, "--project", name, "--create", *FAST, "--json",
                           *server.remote())  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(Path(row["file"]).name, row["status"]) for row in rows] == [
        ("minutes.txt", "processed"),
        ("status.md", "processed"),
    ]
    documents = await project_documents(server, name)
    assert sorted(d["id"] for d in documents) == sorted(row["document_id"] for row in rows)
    assert {d["status"] for d in documents} == {"indexed"}

    again = await run_cli("ingest", folder / "minutes.txt", "--project", name, *server.remote())
    assert again.exit_code == 0, again.output
    assert "already in the project" in again.stdout
    assert rows[0]["document_id"] in again.stdout
    assert len(await project_documents(server, name)) == 2


async def test_ingest_reports_a_failed_row_per_bad_file_and_exits_one(server: Server, tmp_path: Path) -> None:
    name = unique("Mixed")
    project_id = await server.api.project(server.owner, name)
    good = write(tmp_path, "status.txt", STATUS)
    broken = write(tmp_path, "broken.pdf", BROKEN_PDF)
    program = write(tmp_path, "setup.exe", b"MZ\x90\x00" + b"\x00" * 200)

    result = await run_cli("ingest", good, broken, program, tmp_path / "missing.txt", "--project", project_id,
                           *FAST, "--json", *server.remote())  # fmt: skip

    assert result.exit_code == 1, result.output
    rows = {Path(row["file"]).name: row for row in json.loads(result.stdout)}
    assert rows["status.txt"]["status"] == "processed"
    assert rows["broken.pdf"]["status"] == "failed"
    assert rows["broken.pdf"]["document_id"] is not None  # accepted, then failed in the pipeline
    assert rows["broken.pdf"]["reason"]
    assert rows["setup.exe"]["status"] == "failed"
    assert rows["setup.exe"]["document_id"] is None  # refused at upload
    assert "executable" in rows["setup.exe"]["reason"]
    assert rows["missing.txt"]["status"] == "failed"
    statuses = {d["original_filename"]: d["status"] for d in await project_documents(server, name)}
    assert statuses == {"status.txt": "indexed", "broken.pdf": "failed"}


async def test_ingest_table_and_project_errors(server: Server, tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.pdf", BROKEN_PDF)
    name = unique("Table")
    table = await run_cli("ingest", broken, "--project", name, "--create", *FAST, *server.remote())
    assert table.exit_code == 1
    assert "broken.pdf" in table.stdout
    assert "failed" in table.stdout

    unknown = await run_cli("ingest", broken, "--project", unique("Nowhere"), *server.remote())
    assert unknown.exit_code == 1
    assert "No project named" in unknown.stderr
    no_key = await run_cli("ingest", broken, "--project", name, "--server", server.url)
    assert no_key.exit_code == 1
    assert "API key is needed" in no_key.stderr
    wrong_key = await run_cli("search", "x", "--server", server.url, "--api-key", "pmdi_wrong")
    assert wrong_key.exit_code == 1
    assert wrong_key.stderr.startswith("error:")


async def test_ingest_in_local_mode_runs_the_app_in_process(server: Server, tmp_path: Path) -> None:
    settings = server.settings
    env = {
        "PMDI_DATABASE__URL": settings.database.url,
        "PMDI_DATA_DIR": str(settings.data_dir),
        "PMDI_STORAGE__LOCAL_ROOT": str(settings.storage.local_root),
        "PMDI_AUTH__SECRET_KEY": settings.secret_key(),
        "PMDI_API_KEY": server.key,
    }
    name = unique("Local")
    file = write(tmp_path, "status.txt", STATUS)

    result = await run_cli("ingest", file, "--project", name, "--create", *FAST, "--json", env=env)

    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["status"] == "processed"
    [document] = await project_documents(server, name)
    assert (document["id"], document["status"]) == (row["document_id"], "indexed")


@pytest.fixture
async def pmdi_client(server: Server) -> AsyncIterator[PmdiClient]:
    async with connect(Connection(server.url, server.key)) as pmdi:
        yield pmdi


async def passes(watcher: Watcher, count: int) -> list[WatchEvent]:
    events: list[WatchEvent] = []
    for _ in range(count):
        events += await watcher.scan_once()
    return events


def actions(events: list[WatchEvent]) -> list[tuple[str, str, str | None]]:
    return sorted((event.action, event.relative, event.project) for event in events)


async def test_watch_ingests_each_stable_file_once_per_content(
    server: Server, pmdi_client: PmdiClient, tmp_path: Path
) -> None:
    root, apollo, inbox = tmp_path / "watched", unique("Apollo"), unique("Inbox")
    minutes = write(root, f"{apollo}/minutes.txt", MINUTES)
    loose = write(root, "loose.txt", STATUS)
    watcher = Watcher(pmdi_client, WatchOptions(root, default_project=inbox, keep=True))

    assert await watcher.scan_once() == []  # not yet seen unchanged across an interval
    first = await watcher.scan_once()
    assert actions(first) == [("ingested", f"{apollo}/minutes.txt", apollo), ("ingested", "loose.txt", inbox)]
    assert await passes(watcher, 3) == []
    [original] = await project_documents(server, apollo)
    assert len(await project_documents(server, inbox)) == 1

    minutes.write_text(MINUTES + "- Ann Lee to call the quetzal supplier by 2026-11-30.\n")
    changed = await passes(watcher, 2)
    assert actions(changed) == [("reingested", f"{apollo}/minutes.txt", apollo)]
    assert changed[0].document_id != original["id"]
    content = await pmdi_client.request("GET", f"/documents/{changed[0].document_id}/content")
    assert content.content == minutes.read_bytes()

    os.utime(minutes, ns=(minutes.stat().st_atime_ns, minutes.stat().st_mtime_ns + 10**9))
    assert [e.action for e in await passes(watcher, 2)] == ["unchanged"]  # touched, same content
    loose.unlink()
    assert await passes(watcher, 2) == []
    assert len(await project_documents(server, apollo)) == 2
    [kept] = await project_documents(server, inbox)  # a deleted file leaves its document alone
    assert kept["id"] == next(e.document_id for e in first if e.relative == "loose.txt")

    restarted = Watcher(pmdi_client, WatchOptions(root, default_project=inbox, keep=True))
    assert await passes(restarted, 3) == []  # the state file remembers what was ingested
    assert (root / STATE_DIR / "state.json").is_file()


async def test_watch_waits_for_a_file_being_written(
    server: Server, pmdi_client: PmdiClient, tmp_path: Path
) -> None:
    root, project = tmp_path / "watched", unique("Growing")
    growing = write(root, f"{project}/notes.txt", "Status report, part one. ")
    watcher = Watcher(pmdi_client, WatchOptions(root, keep=True))
    assert await watcher.scan_once() == []
    with growing.open("a") as handle:
        handle.write("Part two: the crane inspection passed.\n")
    assert await watcher.scan_once() == []  # changed since the last pass: still being written
    [event] = await watcher.scan_once()
    content = await pmdi_client.request("GET", f"/documents/{event.document_id}/content")
    assert content.content == growing.read_bytes()


async def test_watch_moves_ingested_files_and_leaves_refused_ones(
    server: Server, pmdi_client: PmdiClient, tmp_path: Path
) -> None:
    root, beta = tmp_path / "watched", unique("Beta")
    write(root, f"{beta}/report.txt", STATUS)
    write(root, f"{beta}/setup.exe", b"MZ\x90\x00" + b"\x00" * 200)
    write(root, "orphan.txt", "no default project")
    watcher = Watcher(pmdi_client, WatchOptions(root))

    events = await passes(watcher, 2)
    assert actions(events) == sorted(
        [
            ("ingested", f"{beta}/report.txt", beta),
            ("refused", f"{beta}/setup.exe", beta),
            ("skipped", "orphan.txt", None),
        ]
    )
    assert (root / ".processed" / beta / "report.txt").read_text() == STATUS
    assert not (root / beta / "report.txt").exists()
    assert (root / beta / "setup.exe").exists()
    assert await passes(watcher, 3) == []  # refused and orphan files are reported once

    write(root, f"{beta}/report.txt", STATUS)  # the same content dropped again
    assert [e.action for e in await passes(watcher, 2)] == ["unchanged"]
    assert (root / ".processed" / beta / "report-1.txt").exists()
    assert len(await project_documents(server, beta)) == 1


async def test_watch_command_runs_a_bounded_number_of_passes(server: Server, tmp_path: Path) -> None:
    root, project = tmp_path / "watched", unique("Cmd")
    write(root, f"{project}/status.txt", STATUS)
    target = tmp_path / "done"

    result = await run_cli("watch", root, "--move-to", target, "--interval", "0", "--passes", "2",
                           *server.remote())  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "ingested" in result.stdout
    assert (target / project / "status.txt").exists()
    assert len(await project_documents(server, project)) == 1
    both = await run_cli("watch", root, "--keep", "--move-to", target, *server.remote())
    assert both.exit_code == 2


async def test_export_writes_the_action_register(server: Server, tmp_path: Path) -> None:
    name, _ = await processed_project(server, tmp_path)
    output = tmp_path / "actions.csv"

    result = await run_cli("export", "--project", name, "--register", "action", "--format", "csv",
                           "-o", output, *server.remote())  # fmt: skip

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert {(row["Action"], row["Owner"]) for row in rows} == {
        ("Send the revised budget", "Ann Lee"),
        ("Confirm the quetzal supplier contract", "Bob Stone"),
    }
    workbook_file = tmp_path / "decisions.xlsx"
    xlsx = await run_cli("export", "--project", name, "--register", "decision", "--format", "xlsx",
                         "-o", workbook_file, *server.remote())  # fmt: skip
    assert xlsx.exit_code == 0, xlsx.output
    cells = [c.value for row in load_workbook(workbook_file).active.iter_rows() for c in row]
    assert "We agreed to use the backup supplier." in cells


async def test_search_and_ask_print_hits_and_cited_answers(server: Server, tmp_path: Path) -> None:
    name, document = await processed_project(server, tmp_path)

    found = await run_cli("search", "quetzal", "--project", name, "--json", *server.remote())
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)["hits"]
    assert hits
    assert {hit["document_id"] for hit in hits} == {document["id"]}
    table = await run_cli("search", "quetzal", "--project", name, *server.remote())
    assert "minutes.txt" in table.stdout
    assert "quetzal" in table.stdout

    question = "open action items for Ann Lee"
    asked = await run_cli("ask", question, "--project", name, "--json", *server.remote())
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert answer["found"]
    assert [item["text"] for item in answer["items"]] == ["Send the revised budget"]
    printed = await run_cli("ask", question, "--project", name, *server.remote())
    assert "Send the revised budget" in printed.stdout
    assert "minutes.txt" in printed.stdout


async def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    result = await run_cli("search", "x", "--server", "http://127.0.0.1:9", "--api-key", "pmdi_x")
    assert result.exit_code == 1
    assert "Cannot reach the server" in result.stderr
