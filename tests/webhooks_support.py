"""A real HTTP receiver on 127.0.0.1, apps whose embedded worker sends webhooks, and reading delivery logs."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import hmac
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from pmdi.app import create_app
from pmdi.config import DatabaseSettings, WebhookSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from tests.conftest import fresh_database_url, make_settings
from tests.helpers import User

HOOKS = "/api/v1/webhooks"
PUBLIC_URL = "https://93.184.215.14/pmdi"  # a global address: accepted, and never sent to (no worker runs)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """An ASGI endpoint that records every request and answers with `status`."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        self.requests.append(Received({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"thanks"})

    async def wait_for(self, done: Callable[[list[Received]], bool], within: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + within
        while not done(self.requests):
            assert time.monotonic() < deadline, [r.event["type"] for r in self.requests]
            await asyncio.sleep(0.05)
        return list(self.requests)


@asynccontextmanager
async def receiving(receiver: Receiver, tls: tuple[Path, Path] | None = None) -> AsyncIterator[str]:
    """The receiver's URL on a free port (https with `tls`, a certificate and its key)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the receiver did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"https://localhost:{port}/hook" if tls else f"http://127.0.0.1:{port}/hook"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def fresh_database(backend: str, tmp_root: Path) -> AsyncIterator[str]:
    async for url in fresh_database_url(backend, tmp_root):
        engine = create_engine(DatabaseSettings(url=url))
        await migrations.upgrade(engine)
        await engine.dispose()
        yield url


@asynccontextmanager
async def running(
    url: str, tmp_root: Path, *, worker: bool = True, **webhooks: Any
) -> AsyncIterator[FastAPI]:
    """An app with its embedded worker (and delivery loop) on `url`, private targets allowed by default."""
    settings = make_settings(url, tmp_root / f"data-{uuid.uuid4().hex[:8]}", worker=worker)
    settings.worker = settings.worker.model_copy(update={"poll_seconds": 0.2})
    settings.webhooks = WebhookSettings(**{"allow_private_targets": True, "poll_seconds": 0.2, **webhooks})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def verified(request: Received, secret: str) -> dict[str, Any]:
    """What a receiver should do: recompute the signature, compare in constant time, refuse stale ones."""
    timestamp = request.headers["x-pmdi-timestamp"]
    signed = f"{timestamp}.".encode() + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, request.headers["x-pmdi-signature"])
    assert abs(time.time() - int(timestamp)) < 300
    event = request.event
    assert request.headers["x-pmdi-event"] == event["type"]
    assert request.headers["content-type"] == "application/json"
    return event


async def webhook(
    client: httpx.AsyncClient, user: User, url: str, *events: str, **extra: Any
) -> dict[str, Any]:
    created = await client.post(
        HOOKS, json={"url": url, "events": list(events), **extra}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def log(client: httpx.AsyncClient, user: User, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{HOOKS}/{webhook_id}/deliveries", headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def settled(
    client: httpx.AsyncClient, user: User, webhook_id: str, count: int, within: float = 30.0
) -> list[dict[str, Any]]:
    """The log once `count` deliveries exist and none is waiting or being sent."""
    deadline = time.monotonic() + within
    while True:
        items = await log(client, user, webhook_id)
        if len(items) >= count and all(d["state"] not in {"pending", "delivering"} for d in items):
            return items
        assert time.monotonic() < deadline, [(d["event_type"], d["state"]) for d in items]
        await asyncio.sleep(0.05)


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` (its own authority) and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    plain = serialization.NoEncryption()
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, plain)
    )
    return cert_path, key_path
