"""Prometheus metrics, JSON logs with request ids and identities, and secrets kept out of the logs."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from pmdi.app import create_app
from pmdi.config import MetricsSettings, Settings
from pmdi.core.db import unit_of_work
from pmdi.documents.models import DocumentStatus
from pmdi.jobs.errors import PermanentStageError
from pmdi.jobs.pipeline import Stage, StageInput
from pmdi.jobs.worker import EmbeddedWorker
from pmdi.llm.service import record_usage
from pmdi.observability.logs import formatter
from pmdi.observability.metrics import serve_worker_metrics
from tests.conftest import client_for, make_settings
from tests.helpers import Api, User, text_file
from tests.jobs_support import fresh_app, wait_settled


class RolledBack(Exception):
    pass


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def scrape(client: httpx.AsyncClient) -> tuple[str, Samples]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text, parse(response.text)


@pytest.fixture
def log_output() -> Iterator[Callable[[], str]]:
    """Everything logged during the test, through the production formatter, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream.getvalue
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


async def test_metrics_after_traffic_and_a_processed_document(backend: str, tmp_root: Path) -> None:
    async with fresh_app(backend, tmp_root) as (app, settings), client_for(app) as client:
        settings.metrics.queue_cache_seconds = 0
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        document = await api.uploaded(owner, project, "notes.txt", text_file())
        _, before = await scrape(client)
        waiting = sum(value(before, "pmdi_queue_jobs", state=s) or 0 for s in ("queued", "dispatched"))
        assert waiting == 1
        processed_before = value(before, "pmdi_documents_processed_total") or 0

        worker = EmbeddedWorker(app.state.pmdi)
        worker.start()
        try:
            await wait_settled(client, owner, 1)
        finally:
            await worker.stop()
        assert (await client.get(f"/api/v1/documents/{document['id']}", headers=owner.headers)).is_success
        assert (await client.get(f"/api/v1/nowhere/{uuid.uuid4()}")).status_code == 404
        assert (await client.get("/static/app.css")).status_code == 200
        text, after = await scrape(client)

    assert value(after, "pmdi_documents_processed_total") == processed_before + 1
    assert value(after, "pmdi_documents_failed_total") is not None
    for state in ("queued", "dispatched", "running"):
        assert value(after, "pmdi_queue_jobs", state=state) == 0
    for stage in ("extract", "analyze", "index"):
        assert (value(after, "pmdi_job_stage_duration_seconds_count", stage=stage) or 0) >= 1
    routes = {
        ("POST", "/api/v1/projects/{project_id}/documents", "2xx"),
        ("GET", "/api/v1/documents/{document_id}", "2xx"),
        ("GET", "<unmatched>", "4xx"),
        ("GET", "/static/{path}", "2xx"),
    }
    for method, route, status in routes:
        count = value(
            after, "pmdi_http_request_duration_seconds_count", method=method, route=route, status=status
        )
        assert (count or 0) >= 1, (method, route, status)
    # Route templates, never raw paths: one series per route, not per document.
    assert document["id"] not in text
    assert project not in text
    assert (value(after, "pmdi_http_requests_in_flight") or 0) >= 1  # the scrape itself
    for family in ("pmdi_llm_tokens", "pmdi_llm_cost_usd", "pmdi_llm_calls", "pmdi_rate_limited_requests"):
        assert f"# TYPE {family}_total counter" in text


async def test_failed_documents_are_counted_and_job_logs_carry_their_ids(
    backend: str, tmp_root: Path, log_output: Callable[[], str]
) -> None:
    async def compute(stage_input: StageInput) -> dict[str, Any]:
        logging.getLogger("pmdi.test.stage").warning("parsing went wrong")
        raise PermanentStageError("the file is damaged")

    async def save(session: Any, document: Any, result: dict[str, Any]) -> dict[str, Any]:
        return result

    stage = Stage("broken", DocumentStatus.EXTRACTING, DocumentStatus.EXTRACTED, compute, save)
    async with fresh_app(backend, tmp_root) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        document = await api.uploaded(owner, await api.project(owner), "a.txt", text_file())
        _, before = await scrape(client)
        worker = EmbeddedWorker(app.state.pmdi, [stage])
        worker.start()
        try:
            [failed] = await wait_settled(client, owner, 1)
        finally:
            await worker.stop()
        _, after = await scrape(client)
        jobs = await client.get("/api/v1/jobs", params={"document_id": document["id"]}, headers=owner.headers)

    assert failed["status"] == "failed"
    failed_before = value(before, "pmdi_documents_failed_total") or 0
    assert value(after, "pmdi_documents_failed_total") == failed_before + 1
    [line] = [line for line in json_lines(log_output()) if line["event"] == "parsing went wrong"]
    assert (line["job_id"], line["document_id"]) == (jobs.json()["items"][0]["id"], document["id"])
    assert (line["level"], line["logger"]) == ("warning", "pmdi.test.stage")


async def test_llm_usage_is_counted_once_committed(app: FastAPI, api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user()
    org_id = uuid.UUID(await api.org(owner))
    model = f"model-{uuid.uuid4().hex[:8]}"
    labels = {"provider": "openai", "model": model}
    usage = {**labels, "calls": 2, "tokens_in": 120, "tokens_out": 30, "cost_usd": 0.25}
    state = app.state.pmdi
    with contextlib.suppress(RolledBack):
        async with unit_of_work(state.sessionmaker) as session:
            await record_usage(session, org_id, None, usage)
            raise RolledBack()
    _, samples = await scrape(client)
    assert value(samples, "pmdi_llm_tokens_total", **labels, direction="input") is None

    async with unit_of_work(state.sessionmaker) as session:
        await record_usage(session, org_id, None, usage)
    _, samples = await scrape(client)
    assert value(samples, "pmdi_llm_tokens_total", **labels, direction="input") == 120
    assert value(samples, "pmdi_llm_tokens_total", **labels, direction="output") == 30
    assert value(samples, "pmdi_llm_cost_usd_total", **labels) == 0.25
    assert value(samples, "pmdi_llm_calls_total", **labels) == 2


async def test_metrics_token_and_switch(database_url: str, tmp_path: Path) -> None:
    token = "scrape-" + uuid.uuid4().hex
    settings = make_settings(database_url, tmp_path)
    settings.metrics = MetricsSettings(token=SecretStr(token))
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        assert (await client.get("/metrics")).status_code == 403
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        assert "PMDI_METRICS__TOKEN" in wrong.text
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200
        assert "pmdi_http_requests_in_flight" in right.text
        settings.metrics.enabled = False
        assert (await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})).status_code == 404


async def test_access_log_is_json_with_request_id_and_identity(
    api: Api, client: httpx.AsyncClient, log_output: Callable[[], str]
) -> None:
    owner = await api.user()
    org_id = await api.org(owner)
    request_id = f"req-{uuid.uuid4().hex[:8]}"
    response = await client.get("/api/v1/projects", headers={**owner.headers, "X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id

    lines = json_lines(log_output())
    [access] = [line for line in lines if line.get("request_id") == request_id]
    assert (access["logger"], access["level"], access["event"]) == ("pmdi.access", "info", "request")
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/v1/projects", 200)
    assert (access["user_id"], access["org_id"]) == (owner.id, org_id)
    assert access["duration_ms"] >= 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", access["timestamp"])
    assert all({"timestamp", "level", "event", "logger"} <= line.keys() for line in lines)

    # An id that could forge or bloat log lines is replaced by a fresh one, also on errors.
    for forged in ("x" * 200, "two words"):
        answer = await client.get("/api/v1/nowhere", headers={"X-Request-ID": forged})
        assert answer.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


async def test_secrets_never_reach_the_logs(
    api: Api, client: httpx.AsyncClient, settings: Settings, log_output: Callable[[], str]
) -> None:
    password, wrong = f"right horse {uuid.uuid4().hex}", f"wrong horse {uuid.uuid4().hex}"
    owner: User = await api.user("secretive", password=password)
    await api.org(owner)
    failed = await client.post("/api/v1/auth/login", json={"email": owner.email, "password": wrong})
    assert failed.status_code == 401
    created = await client.post("/api/v1/api-keys", json={"name": "ci"}, headers=owner.headers)
    key = created.json()["key"]
    assert (await client.get("/api/v1/projects", headers={"Authorization": f"Bearer {key}"})).is_success
    feed_token = uuid.uuid4().hex

    log = logging.getLogger("pmdi.test")
    log.warning("calling with %s", key)
    log.warning("header was Bearer %s, token %s", owner.access_token, owner.refresh_token)
    log.warning("raw jwt %s", owner.access_token)
    log.warning("login", extra={"password": password, "authorization": f"Bearer {key}"})
    log.error("signing with %s", settings.secret_key())
    log.info("fetched /api/v1/calendar.ics?token=%s", feed_token)
    try:
        raise ValueError(f"bad key {key}")
    except ValueError:
        log.exception("request failed")

    output = log_output()
    tokens = (owner.access_token, owner.refresh_token, settings.secret_key(), feed_token)
    for secret in (password, wrong, key, *tokens):
        assert secret not in output
    lines = json_lines(output)
    assert [line["password"] for line in lines if line["event"] == "login"] == ["[REDACTED]"]
    assert any("Traceback" in line.get("exception", "") for line in lines)


def test_serve_and_worker_logging_configuration(tmp_path: Path) -> None:
    """What `pmdi serve` hands uvicorn and `pmdi worker` applies: JSON lines for every logger, uvicorn's
    access log silenced, the level respected."""
    code = """
import logging
from pmdi.config import LogSettings
from pmdi.observability.logs import configure_logging
configure_logging(LogSettings(format="json", level="INFO"))
logging.getLogger("uvicorn.error").info("Started server process")
logging.getLogger("uvicorn.access").info("127.0.0.1 - GET / 200")
logging.getLogger("some.library").warning("retrying with api_key=abcdef0123456789")
logging.getLogger("pmdi.chatty").debug("not shown at INFO")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    lines = json_lines(result.stderr)
    assert [(line["logger"], line["level"], line["event"]) for line in lines] == [
        ("uvicorn.error", "info", "Started server process"),
        ("some.library", "warning", "retrying with api_key=[REDACTED]"),
    ]


def test_several_processes_share_metrics_through_the_multiprocess_directory(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from pmdi.observability.metrics import DOCUMENTS_PROCESSED; DOCUMENTS_PROCESSED.inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, timeout=60, check=True)
    show = "from pmdi.observability.metrics import exposition; print(exposition()[0].decode())"
    shown = subprocess.run(
        [sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert value(parse(shown.stdout), "pmdi_documents_processed_total") == 2


def test_worker_serves_its_metrics_on_its_own_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    assert serve_worker_metrics(MetricsSettings(worker_port=None)) is None
    server = serve_worker_metrics(MetricsSettings(worker_port=port))
    assert server is not None
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert "pmdi_job_stage_duration_seconds" in response.text
