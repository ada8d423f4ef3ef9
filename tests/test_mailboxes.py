"""Email ingest against a real IMAP server (pymap, started by the test): each email and its attachments
become documents once, rules pick the emails, and a mailbox must not point inside the network unless
allowed."""

from __future__ import annotations

import asyncio
import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from pmdi.config import Settings
from tests.conftest import client_for
from tests.helpers import Api, User
from tests.jobs_support import fresh_app

PYMAP = str(Path(sys.executable).parent / "pymap")
USER, PASSWORD = "ann", "imap secret 1"
DATA = Path(__file__).parent / "data" / "registers"


@pytest.fixture
def imap_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    args = ["--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"]
    server = subprocess.Popen(
        [PYMAP, *args, "--demo-user", USER, "--demo-password", PASSWORD],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the IMAP test server did not start")
        yield port
    finally:
        server.terminate()
        server.wait(10)


def deliver(port: int, subject: str, attachments: list[tuple[str, bytes]]) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, "priya@falcon.example", "pm@example.org"
    message.set_content(
        "Hello team,\n\nMinutes attached. Action: Tom Becker to book the venue by 2026-10-20.\n"
    )
    for name, content in attachments:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), message.as_bytes())
    client.logout()


def unread(port: int) -> int:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    client.select("INBOX")
    _, data = client.search(None, "UNSEEN")
    client.logout()
    return len(data[0].split())


async def documents(client: httpx.AsyncClient, owner: User, project: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/documents", params={"project_id": project}, headers=owner.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def polled(client: httpx.AsyncClient, owner: User, mailbox: str) -> dict[str, Any]:
    """Asks for a poll now and waits until the worker has finished one (its emails are stored by then)."""
    url = f"/api/v1/mailboxes/{mailbox}"
    before = (await client.get(url, headers=owner.headers)).json()["last_polled_at"]
    asked = await client.post(f"{url}/poll", headers=owner.headers)
    assert asked.status_code == 202, asked.text
    for _ in range(300):
        state: dict[str, Any] = (await client.get(url, headers=owner.headers)).json()
        if state["last_polled_at"] != before:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError("the mailbox was not polled")


async def names(client: httpx.AsyncClient, owner: User, project: str) -> list[str]:
    return sorted(d["original_filename"] for d in await documents(client, owner, project))


def mailbox_body(project: str, port: int, **extra: Any) -> dict[str, Any]:
    return {
        "project_id": project, "name": "Falcon inbox", "host": "127.0.0.1", "port": port, "security": "none",
        "username": USER, "password": PASSWORD, **extra,
    }  # fmt: skip


async def test_each_email_and_its_attachments_become_documents_once(tmp_root: Path, imap_port: int) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user("mail-owner")
        await api.org(owner, "Mail")
        project = await api.project(owner, "Falcon")
        wrong = await client.post(
            "/api/v1/mailboxes", json=mailbox_body(project, imap_port, password="nope"), headers=owner.headers
        )
        assert wrong.status_code == 400, wrong.text
        assert "IMAP error" in wrong.json()["detail"]
        created = await client.post(
            "/api/v1/mailboxes", json=mailbox_body(project, imap_port), headers=owner.headers
        )
        assert created.status_code == 201, created.text
        assert PASSWORD not in created.text
        mailbox = created.json()["id"]
        minutes = (DATA / "falcon-minutes-week1.md").read_bytes()
        deliver(imap_port, "Weekly minutes", [("minutes.md", minutes), ("tool.exe", b"MZ\x90\x00binary")])
        state = await polled(client, owner, mailbox)
        assert await names(client, owner, project) == ["Weekly minutes (101).eml", "minutes.md"]
        assert "tool.exe" in state["last_error"], "a refused attachment is reported, not silently dropped"
        assert unread(imap_port) == 0, "stored emails are marked read on the server"
        await polled(client, owner, mailbox)
        assert len(await names(client, owner, project)) == 2, "a second poll stores nothing twice"
        deliver(imap_port, "Status report", [])
        await polled(client, owner, mailbox)
        assert "Status report (102).eml" in await names(client, owner, project)
        assert (await client.get(f"/api/v1/mailboxes/{mailbox}", headers=owner.headers)).json()[
            "emails_ingested"
        ] == 2


async def test_rules_choose_the_emails_and_the_parts_kept(tmp_root: Path, imap_port: int) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user("mail-rules")
        await api.org(owner, "Rules")
        project = await api.project(owner, "Falcon")
        body = mailbox_body(project, imap_port, subject_contains="minutes", attachments_only=True)
        mailbox = (await client.post("/api/v1/mailboxes", json=body, headers=owner.headers)).json()["id"]
        deliver(imap_port, "Newsletter", [("ad.md", b"# Buy now")])
        deliver(imap_port, "Minutes week 2", [("week2.md", (DATA / "falcon-minutes-week2.md").read_bytes())])
        await polled(client, owner, mailbox)
        assert await names(client, owner, project) == ["week2.md"]


async def test_a_mailbox_inside_the_network_is_refused_unless_allowed(
    api: Api, client: httpx.AsyncClient, settings: Settings, imap_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await api.user("mail-ssrf")
    org = await api.org(owner, "SSRF")
    project = await api.project(owner, "Falcon")
    monkeypatch.setattr(settings.mail, "allow_private_hosts", False)
    for host in ("127.0.0.1", "10.0.0.1", "::1", "localhost"):
        body = mailbox_body(project, imap_port, host=host, verify=False)
        refused = await client.post("/api/v1/mailboxes", json=body, headers=owner.headers)
        assert refused.status_code == 400, (host, refused.text)
        assert "PMDI_MAIL__ALLOW_PRIVATE_HOSTS" in refused.json()["detail"]
    monkeypatch.setattr(settings.mail, "allow_private_hosts", True)
    member = await api.add_member(owner, org, "member")
    body = mailbox_body(project, imap_port)
    forbidden = await client.post("/api/v1/mailboxes", json=body, headers=member.headers)
    assert forbidden.status_code == 403, "only administrators hold mail credentials"
    allowed = await client.post("/api/v1/mailboxes", json=body, headers=owner.headers)
    assert allowed.status_code == 201, allowed.text
