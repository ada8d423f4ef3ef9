"""The whole hostile corpus (tests/hostile_corpus.py) through upload and the real pipeline.

By default a deterministic subset runs; PMDI_HOSTILE_FULL=1 runs all of it (several minutes).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import client_for
from tests.helpers import Api
from tests.hostile_corpus import generate
from tests.jobs_support import fresh_app, wait_settled
from tests.test_extract_hostile import text_pdf

FULL = os.environ.get("PMDI_HOSTILE_FULL", "") == "1"


def selection(corpus: dict[str, bytes]) -> dict[str, bytes]:
    if FULL:
        return corpus
    # Every third name in sorted order: a spread over every kind of file, the same one on every run.
    return {name: corpus[name] for i, name in enumerate(sorted(corpus)) if i % 3 == 0}


def seconds(document: dict[str, Any]) -> float:
    start, end = (
        datetime.fromisoformat(document["created_at"]),
        datetime.fromisoformat(document["updated_at"]),
    )
    return (end - start).total_seconds()


@pytest.fixture(scope="module")
def hostile() -> dict[str, bytes]:
    return selection(generate())


async def test_hostile_corpus_never_breaks_upload_or_the_worker(
    tmp_root: Path, hostile: dict[str, bytes]
) -> None:
    worker = {"concurrency": 4, "task_timeout_seconds": 30.0, "max_attempts": 1}
    refused: dict[str, tuple[int, str]] = {}
    accepted: dict[str, str] = {}
    async with fresh_app("sqlite", tmp_root, embedded=True, **worker) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        for name, content in hostile.items():
            response = await api.upload(owner, project, (name, content))
            if response.status_code in (200, 201):  # 200: the same bytes were uploaded before
                accepted[name] = response.json()["items"][0]["document"]["id"]
            else:
                refused[name] = (response.status_code, response.json().get("detail", ""))
        fine = await api.uploaded(owner, project, "fine.pdf", text_pdf())
        within = 900 if FULL else 120
        settled = await wait_settled(client, owner, len(set(accepted.values())) + 1, within=within)
        indexed = [d["id"] for d in settled if d["status"] == "indexed"]
        texts = [
            (await client.get(f"/api/v1/documents/{i}/text", headers=owner.headers)).json() for i in indexed
        ]

    server_errors = {name: r for name, r in refused.items() if r[0] >= 500}
    assert not server_errors, server_errors
    assert all(400 <= status < 500 and detail for status, detail in refused.values()), refused
    by_id = {d["id"]: d for d in settled}
    assert by_id[fine["id"]]["status"] == "indexed", by_id[fine["id"]]
    outcomes = {name: by_id[doc_id] for name, doc_id in accepted.items()}
    unclear = {n: (d["status"], d["error_reason"]) for n, d in outcomes.items() if not _clear(d)}
    assert not unclear, unclear
    assert not [t["document_id"] for t in texts if "root:x:0:0" in t["text"]], (
        "an external entity was resolved"
    )
    failed = sum(d["status"] == "failed" for d in outcomes.values())
    slowest = max(outcomes, key=lambda n: seconds(outcomes[n]))
    print(
        f"\nhostile corpus: {len(hostile)} files, {len(refused)} refused at upload,"
        f" {failed} failed with a reason, {len(outcomes) - failed} indexed;"
        f" slowest {slowest} {seconds(outcomes[slowest]):.1f}s"
    )


def _clear(document: dict[str, Any]) -> bool:
    if document["status"] == "failed":
        return bool(document["error_reason"])
    return bool(document["status"] == "indexed")
