"""The real thing: the `pmdi` CLI migrates, seeds and serves; a client talks HTTP to it over loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import NOT_FAILED, PIPELINE_EVENTS, remote_account

PMDI = str(Path(sys.executable).parent / "pmdi")
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PMDI_DATA_DIR": str(root / "data"),
        "PMDI_DATABASE__URL": f"sqlite+aiosqlite:///{root / 'data' / 'pmdi.db'}",
        "PMDI_STORAGE__LOCAL_ROOT": str(root / "data" / "files"),
        "PMDI_AUTH__ARGON2_TIME_COST": "1",
        "PMDI_AUTH__ARGON2_MEMORY_KIB": "1024",
        "PMDI_AUTH__ARGON2_PARALLELISM": "1",
        "PMDI_UPLOADS__MAX_BYTES": str(5 * MB),
    }


def pmdi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PMDI, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    root = tmp_path_factory.mktemp("server")
    env = server_env(root)
    assert pmdi(env, "migrate").returncode == 0
    port = free_port()
    process = subprocess.Popen(
        [PMDI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.stderr.read() if process.stderr else ''!r}")
    yield base, process, root
    process.terminate()
    process.wait(timeout=10)


def wait_for_analyzed(url: str, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items: list[dict[str, Any]] = httpx.get(url, headers=headers).json()["items"]
        if len(items) == count and all(d["status"] == "indexed" for d in items):
            return items
        time.sleep(0.2)
    raise AssertionError(f"demo documents not analysed: {items}")


def test_cli_seeds_demo_data_and_manages_users(server: tuple[str, subprocess.Popen[bytes], Path]) -> None:
    base, _, root = server
    env = server_env(root)
    seeded = pmdi(env, "demo", "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "demo@pmdi.dev" in seeded.stdout
    assert "found demo data" in pmdi(env, "demo", "seed").stdout
    demo = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": "demo@pmdi.dev", "password": "demo-password-123"}
    )
    demo_headers = {"Authorization": f"Bearer {demo.json()['access_token']}"}
    documents = wait_for_analyzed(f"{base}/api/v1/documents", demo_headers, 3)
    minutes = next(d for d in documents if d["filename"].endswith(".md"))
    analysis = httpx.get(f"{base}/api/v1/documents/{minutes['id']}/analysis", headers=demo_headers).json()
    assert analysis["document_type"] == "meeting_notes"
    assert len(analysis["action_items"]) == 3

    created = pmdi(env, "user", "create", "--email", "cli@example.org", "--password", "cli password 123")
    assert created.returncode == 0, created.stderr
    duplicate = pmdi(env, "user", "create", "--email", "cli@example.org", "--password", "cli password 123")
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    org = pmdi(env, "org", "create", "CLI Org", "--owner", "cli@example.org")
    assert org.returncode == 0, org.stderr
    missing = pmdi(env, "org", "create", "X", "--owner", "nobody@example.org")
    assert missing.returncode == 1

    login = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": "cli@example.org", "password": "cli password 123"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    orgs = httpx.get(f"{base}/api/v1/orgs", headers=headers).json()
    assert [(o["name"], o["role"]) for o in orgs] == [("CLI Org", "owner")]


def test_register_login_project_upload_list_download(
    server: tuple[str, subprocess.Popen[bytes], Path], corpus: Path
) -> None:
    base, _, _ = server
    api = f"{base}/api/v1"
    credentials = {"email": "flow@example.org", "password": "flow password 123"}
    assert httpx.post(f"{api}/auth/register", json=credentials).status_code == 201
    token = httpx.post(f"{api}/auth/login", json=credentials).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{api}/orgs", json={"name": "Flow"}, headers=headers).status_code == 201
    project = httpx.post(f"{api}/projects", json={"name": "Flow project"}, headers=headers).json()

    pdf = next(corpus.rglob("*.pdf"))
    with pdf.open("rb") as handle:
        uploaded = httpx.post(
            f"{api}/projects/{project['id']}/documents", files={"files": (pdf.name, handle)}, headers=headers
        )
    assert uploaded.status_code == 201, uploaded.text
    listed = httpx.get(f"{api}/documents", headers=headers).json()["items"]
    assert [d["filename"] for d in listed] == [pdf.name]
    assert listed[0]["status"] in NOT_FAILED
    download = httpx.get(f"{api}/documents/{listed[0]['id']}/content", headers=headers)
    assert download.content == pdf.read_bytes()


async def test_oversized_streamed_upload_keeps_memory_flat(
    server: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, process, root = server
    api = f"{base}/api/v1"
    account = await remote_account(base, "big")
    headers = account.headers
    async with httpx.AsyncClient(timeout=60) as client:
        before = peak_rss_kib(process.pid)
        status = await send_streamed(
            client, f"{api}/projects/{account.project_id}/documents", headers, 200 * MB
        )
        after = peak_rss_kib(process.pid)
        listed = (await client.get(f"{api}/documents", headers=headers)).json()
    assert status in {413, None}, status
    assert (after - before) < 40 * 1024, f"peak RSS grew by {(after - before) // 1024} MB"
    assert listed["total"] == 0
    assert not list((root / "data" / "tmp").iterdir())


async def send_streamed(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], size: int
) -> int | None:
    """Chunked upload of `size` bytes; None when the server cut the connection after refusing it."""
    boundary = "bigboundary"

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        ).encode()
        chunk = b"a" * MB
        for _ in range(size // MB):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    try:
        response = await client.post(
            url,
            content=body(),
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None
    assert "upload limit" in response.text
    return response.status_code


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [PMDI, "serve", "--port", str(free_port())],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Run `pmdi migrate` first" in result.stderr


async def test_embedded_mode_streams_progress_over_sse(
    server: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, _, _ = server
    api = f"{base}/api/v1"
    account = await remote_account(base, "sse")
    headers = account.headers
    async with httpx.AsyncClient(timeout=30) as client:
        types: list[str] = []
        async with client.stream("GET", f"{api}/events", headers=headers) as stream:
            lines = stream.aiter_lines()
            async for line in lines:
                if line == ": ready":
                    break
            files = {"files": ("a.txt", b"Ann will send the budget by Friday.")}
            await client.post(f"{api}/projects/{account.project_id}/documents", files=files, headers=headers)
            async with asyncio.timeout(60):
                async for line in lines:
                    if line.startswith("event: "):
                        types.append(line[len("event: ") :])
                        if types[-1] in {"document.processed", "document.failed"}:
                            break
    assert types == PIPELINE_EVENTS
