"""The analysis through its public surfaces: `pmdi analyze`, the analyze stage and its API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from pmdi.analysis.models import DocumentAnalysis
from pmdi.audit.models import AuditEvent
from pmdi.config import AnalysisSettings, LLMSettings, ProviderSettings
from pmdi.llm.breaker import CircuitBreaker
from pmdi.llm.models import OrgLLMSettings
from tests.conftest import client_for
from tests.helpers import Api
from tests.jobs_support import fresh_app, wait_settled
from tests.llm_support import Reply, fake_openai, reading_model

PMDI = str(Path(sys.executable).parent / "pmdi")
NOTES = """# Steering committee, 3 March 2025

Attendees: Karen Brooks (KB), Tom Miller

## Decisions
- Decision: the launch moves to 14 April 2025.

## Action items
- KB to send the revised budget to finance by 7 March 2025.
- Tom Miller sent the vendor contract last week.
"""


def run_analyze(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PMDI_DATA_DIR": str(data_dir)}
    return subprocess.run([PMDI, "analyze", *args], capture_output=True, text=True, env=env, timeout=300)


def test_pmdi_analyze_prints_the_contract(tmp_path: Path) -> None:
    notes = tmp_path / "steering.md"
    notes.write_text(NOTES)
    result = run_analyze(str(notes), "--format", "json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    [analysis] = json.loads(result.stdout)
    assert analysis["file"] == str(notes)
    assert analysis["document_type"] == "meeting_notes"
    assert analysis["document_date"] == "2025-03-03"
    [action] = analysis["action_items"]
    assert (action["owner"], action["due_date"], action["status"]) == ("Karen Brooks", "2025-03-07", "open")
    evidence = action["evidence"]
    assert (evidence["page"], "revised budget" in evidence["quote"]) == (1, True)
    assert any("launch" in decision["text"].lower() for decision in analysis["decisions"])
    for key in ("summary", "summary_points", "risks", "milestones", "people"):
        assert key in analysis


def test_pmdi_analyze_reports_bad_files_and_exits_1(tmp_path: Path) -> None:
    good, bad = tmp_path / "a.md", tmp_path / "b.pdf"
    good.write_text(NOTES)
    bad.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntruncated")
    result = run_analyze(str(good), str(bad), data_dir=tmp_path)
    assert result.returncode == 1
    first, second = json.loads(result.stdout)
    assert first["action_items"]
    assert "error" not in first
    assert second["file"] == str(bad)
    assert second["error"]["code"]
    assert second["error"]["detail"]


async def test_reanalysis_replaces_the_stored_analysis(tmp_root: Path) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner, stranger = await api.user(), await api.user("stranger")
        await api.org(owner)
        await api.org(stranger)
        project = await api.project(owner)
        document = await api.uploaded(owner, project, "steering.md", NOTES.encode())
        await wait_settled(client, owner, 1)
        url = f"/api/v1/documents/{document['id']}/analysis"
        first = (await client.get(url, headers=owner.headers)).json()
        assert (first["document_type"], len(first["action_items"])) == ("meeting_notes", 1)

        again = await client.post(f"/api/v1/documents/{document['id']}/reprocess", headers=owner.headers)
        assert again.is_success
        await wait_settled(client, owner, 1)
        second = (await client.get(url, headers=owner.headers)).json()
        assert second["action_items"] == first["action_items"]
        assert second["analyzed_at"] > first["analyzed_at"]
        async with app.state.pmdi.sessionmaker() as session:
            rows = await session.scalar(select(func.count()).select_from(DocumentAnalysis))
        assert rows == 1
        assert (await client.get(url, headers=stranger.headers)).status_code == 404


async def test_llm_analysis_costs_are_counted_cached_and_budgeted(tmp_root: Path) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        notes = b"# Sync, 3 March 2025\n\nACTION: Karen Brooks to send the budget\n"
        with fake_openai(reading_model) as fake:
            prices = {"usd_per_million_input_tokens": 1.0, "usd_per_million_output_tokens": 10.0}
            llm = LLMSettings(base_url=fake.url, model="m1", max_retries=0, **prices)
            app.state.pmdi.settings.analysis = AnalysisSettings(analyzer="llm", llm=llm)
            document = await api.uploaded(owner, project, "sync.md", notes)
            await wait_settled(client, owner, 1)
            url = f"/api/v1/documents/{document['id']}/analysis"
            first = (await client.get(url, headers=owner.headers)).json()
            await client.post(f"/api/v1/documents/{document['id']}/reprocess", headers=owner.headers)
            await wait_settled(client, owner, 1)
            again = (await client.get(url, headers=owner.headers)).json()
            calls_made = len(fake.requests)

            llm.monthly_budget_usd = 0.002  # the first analysis cost 0.002 USD: the budget is spent
            other = await api.uploaded(
                owner, project, "other.md", notes + b"\nACTION: Tom Miller to book rooms\n"
            )
            await wait_settled(client, owner, 2)
            budgeted = (
                await client.get(f"/api/v1/documents/{other['id']}/analysis", headers=owner.headers)
            ).json()

        assert (first["analyzer"], first["llm"]["calls"], first["llm"]["cost_usd"]) == ("llm", 1, 0.002)
        [item] = first["action_items"]
        assert (item["owner"], item["evidence"]["quote"]) == (
            "Karen Brooks",
            "ACTION: Karen Brooks to send the budget",
        )
        assert (again["llm"]["cached"], again["llm"]["calls"], calls_made) == (True, 0, 1)
        assert again["action_items"] == first["action_items"]
        assert budgeted["analyzer"] == "rules (fallback from llm)"
        assert budgeted["llm"]["fallback"]["reason"] == "budget_exhausted"
        usage = (await client.get("/api/v1/usage", headers=owner.headers)).json()
        assert (usage["analyses"], usage["calls"], usage["tokens_in"], usage["cost_usd"]) == (
            3,
            1,
            1000,
            0.002,
        )
        assert (await client.get("/api/v1/usage?month=2026-13", headers=owner.headers)).status_code == 400


async def test_an_organisation_brings_its_own_model_and_key(tmp_root: Path) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner, other = await api.user(), await api.user("other")
        org_id = await api.org(owner)
        await api.org(other)
        member = await api.add_member(owner, org_id, "member")
        url = f"/api/v1/orgs/{org_id}/llm"
        assert (await client.get(url, headers=owner.headers)).json()["source"] == "server"
        with fake_openai(reading_model) as fake:
            body = {
                "provider": "openai",
                "model": "org-model",
                "base_url": fake.url,
                "api_key": "sk-org-secret",
            }
            refused = await client.put(url, json=body, headers=owner.headers)
            assert refused.status_code == 400  # the fake server is on loopback: private unless allowed
            app.state.pmdi.settings.analysis.llm.allow_private_base_urls = True
            assert (await client.put(url, json=body, headers=member.headers)).status_code == 403
            saved = await client.put(url, json=body, headers=owner.headers)
            assert saved.json()["api_key_set"] is True
            assert "sk-org-secret" not in saved.text + (await client.get(url, headers=owner.headers)).text

            notes = b"# Sync, 3 March 2025\n\nACTION: Karen Brooks to send the budget\n"
            mine = await api.uploaded(owner, await api.project(owner), "sync.md", notes)
            theirs = await api.uploaded(other, await api.project(other), "sync.md", notes)
            await wait_settled(client, owner, 1)
            await wait_settled(client, other, 1)
        analysis = (
            await client.get(f"/api/v1/documents/{mine['id']}/analysis", headers=owner.headers)
        ).json()
        assert (analysis["analyzer"], analysis["llm"]["model"]) == ("llm", "org-model")
        assert fake.authorizations == ["Bearer sk-org-secret"]
        other_analysis = await client.get(f"/api/v1/documents/{theirs['id']}/analysis", headers=other.headers)
        assert other_analysis.json()["analyzer"] == "rules"

        async with app.state.pmdi.sessionmaker() as session:
            stored = await session.scalar(select(OrgLLMSettings.api_key_encrypted))
            audit = (await session.execute(select(AuditEvent.data))).scalars().all()
        assert stored is not None
        assert "sk-org-secret" not in stored
        assert "sk-org-secret" not in json.dumps(audit)
        assert (await client.delete(url, headers=owner.headers)).status_code == 204
        assert (await client.get(url, headers=owner.headers)).json()["source"] == "server"


async def test_a_failing_provider_opens_its_circuit(tmp_root: Path) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        app.state.pmdi.breaker.failures_to_open = 1
        with fake_openai(lambda request: Reply(status=503)) as fake:
            llm = LLMSettings(base_url=fake.url, model="m1", max_retries=0)
            app.state.pmdi.settings.analysis = AnalysisSettings(analyzer="llm", llm=llm)
            first = await api.uploaded(owner, project, "a.md", b"# Sync\n\nACTION: Ann to send the budget\n")
            await wait_settled(client, owner, 1)
            second = await api.uploaded(owner, project, "b.md", b"# Sync\n\nACTION: Bo to book the rooms\n")
            await wait_settled(client, owner, 2)
        reasons = []
        for document in (first, second):
            url = f"/api/v1/documents/{document['id']}/analysis"
            reasons.append((await client.get(url, headers=owner.headers)).json()["llm"]["fallback"]["reason"])
        assert reasons == ["llm_unavailable", "circuit_open"]
        assert len(fake.requests) == 1


def test_an_open_circuit_lets_one_trial_through_after_the_cool_down() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures_to_open=2, cooldown_seconds=30, clock=lambda: now[0])
    llm = LLMSettings(model="a", fallbacks=[ProviderSettings(model="b")])
    breaker.record("openai:a", ok=False)
    assert breaker.usable(llm) == llm
    breaker.record("openai:a", ok=False)
    usable = breaker.usable(llm)
    assert (usable.model if usable else None, usable.fallbacks if usable else None) == ("b", [])
    now[0] = 31.0
    assert breaker.allows("openai:a")
    breaker.record("openai:a", ok=True)
    now[0] = 32.0
    assert breaker.usable(llm).model == "a"  # type: ignore[union-attr]
