"""Hybrid search, Q&A and similar documents through the HTTP API on real corpus documents."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate
from sqlalchemy import func, select

from pmdi.config import AnalysisSettings, LLMSettings
from pmdi.core.state import AppState
from pmdi.search.models import SearchChunk
from pmdi.search.text import query_terms, stem, words
from tests.conftest import client_for
from tests.fixtures_pdf import BODY, H2
from tests.helpers import Api, User
from tests.jobs_support import fresh_app, wait_settled
from tests.llm_support import Model, Reply, fake_openai

GOVERNANCE = [
    "rust-leadership-council/2024-04-12.md",
    "rust-leadership-council/2023-06-15.md",
    "eslint-tsc/2023-05-04.md",
    "eslint-tsc/2023-06-29.md",
    "eslint-tsc/2024-02-22.md",
    "openjs-cpc/2020-09-08.md",
    "spdx-meetings/hardware_2026-02-06.md",
    "hhs-tanf-app/sprint-90-summary.md",
    "bcgov-entity/rfc-TestRails.md",
    "bcgov-entity/CICD-projects-status.xlsx",
]
SUMMIT = [
    "kubernetes-community/2019-06-contributor-summit_RETRO.md",
    "kubernetes-community/2018-12-contributor-summit_RETRO.md",
]
OTHER_ORG = ["eslint-tsc/2023-05-04.md", "aswf-tac/2019-03-13.md"]
VENDOR_ANSWER = "The steering group chose Northwind Logistics as the warehouse vendor for the pilot."


def minutes_pdf(path: Path) -> Path:
    """Three pages of minutes; the vendor decision is only on page 2."""
    filler = (
        "The team reviewed the weekly burn-down, the staffing plan and the open questions from the sprint. "
    )
    pages = [
        ["Steering group meeting, 3 March 2025", filler * 3],
        ["Vendor selection", filler * 2, VENDOR_ANSWER, filler],
        ["Next steps", filler * 3],
    ]
    story: list[Any] = []
    for number, (title, *paragraphs) in enumerate(pages):
        story.append(Paragraph(title, H2))
        story += [Paragraph(text, BODY) for text in paragraphs]
        if number < len(pages) - 1:
            story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


@dataclass
class Deployment:
    state: AppState
    client: httpx.AsyncClient
    owner: User
    other: User
    governance: str
    summit: str
    documents: dict[str, str]  # corpus path (or file name) -> document id, organisation A
    other_documents: dict[str, str]

    async def search(self, user: User | None = None, **params: Any) -> dict[str, Any]:
        response = await self.client.get(
            "/api/v1/search", params=params, headers=(user or self.owner).headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def ask(self, question: str, user: User | None = None, **extra: Any) -> dict[str, Any]:
        body = {"question": question, **extra}
        response = await self.client.post("/api/v1/ask", json=body, headers=(user or self.owner).headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def text(self, document_id: str) -> str:
        response = await self.client.get(f"/api/v1/documents/{document_id}/text", headers=self.owner.headers)
        return str(response.json()["text"])

    async def analyses(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for document_id in self.documents.values():
            response = await self.client.get(
                f"/api/v1/documents/{document_id}/analysis", headers=self.owner.headers
            )
            found.append((document_id, response.json()))
        return found


async def upload_all(api: Api, user: User, project: str, corpus: Path, files: list[str]) -> dict[str, str]:
    ids = {}
    for name in files:
        document = await api.uploaded(user, project, Path(name).name, (corpus / name).read_bytes())
        ids[name] = document["id"]
    return ids


@pytest.fixture(scope="module")
async def deployment(backend: str, tmp_root: Path, corpus: Path) -> AsyncIterator[Deployment]:
    async with fresh_app(backend, tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner, other = await api.user("search-a"), await api.user("search-b")
        await api.org(owner, "Alpha")
        await api.org(other, "Beta")
        governance = await api.project(owner, "Governance")
        summit = await api.project(owner, "Summit")
        documents = await upload_all(api, owner, governance, corpus, GOVERNANCE)
        documents |= await upload_all(api, owner, summit, corpus, SUMMIT)
        pdf = minutes_pdf(tmp_root / "steering-minutes.pdf")
        documents["steering-minutes.pdf"] = (
            await api.uploaded(owner, governance, pdf.name, pdf.read_bytes())
        )["id"]
        other_documents = await upload_all(api, other, await api.project(other), corpus, OTHER_ORG)
        settled = await wait_settled(client, owner, len(documents), within=300)
        assert {d["status"] for d in settled} == {"indexed"}
        await wait_settled(client, other, len(other_documents), within=120)
        state = app.state.pmdi
        yield Deployment(state, client, owner, other, governance, summit, documents, other_documents)


async def test_an_exact_identifier_ranks_its_document_first(deployment: Deployment) -> None:
    cases = {
        "2711": "hhs-tanf-app/sprint-90-summary.md",
        "RPT_MONTH_YEAR": "hhs-tanf-app/sprint-90-summary.md",
        "TestRail": "bcgov-entity/rfc-TestRails.md",
        "pay-api": "bcgov-entity/CICD-projects-status.xlsx",
    }
    for query, expected in cases.items():
        result = await deployment.search(q=query)
        assert result["mode"] == "hybrid"
        assert result["hits"][0]["document_id"] == deployment.documents[expected], query
        assert result["documents"][0]["document_id"] == deployment.documents[expected], query


async def test_a_paraphrase_with_no_shared_word_finds_the_chunk_in_the_top_5(deployment: Deployment) -> None:
    query, answer = "headcount at the gathering", "206 of 210 people attended"
    result = await deployment.search(q=query, limit=5)
    found = []
    for hit in result["hits"]:
        chunk = (await deployment.text(hit["document_id"]))[hit["start"] : hit["end"]]
        found.append(answer in chunk)
        if answer in chunk:
            assert not {stem(w) for w in query_terms(query)} & {stem(w) for w in words(chunk)}
    assert any(found), [h["snippet"] for h in result["hits"]]


async def test_hits_carry_page_snippet_highlights_and_offsets(deployment: Deployment) -> None:
    result = await deployment.search(q="Northwind warehouse vendor")
    hit = result["hits"][0]
    assert (hit["document_id"], hit["page"]) == (deployment.documents["steering-minutes.pdf"], 2)
    marked = {hit["snippet"][h["start"] : h["end"]].lower() for h in hit["highlights"]}
    assert {"northwind", "warehouse", "vendor"} <= marked
    text = await deployment.text(hit["document_id"])
    assert VENDOR_ANSWER in text[hit["start"] : hit["end"]]


async def test_filters_narrow_the_results(deployment: Deployment) -> None:
    by_project = await deployment.search(q="contributor summit", project=deployment.governance)
    summit_ids = {deployment.documents[name] for name in SUMMIT}
    assert by_project["hits"]
    assert not {h["document_id"] for h in by_project["hits"]} & summit_ids
    in_summit = await deployment.search(q="contributor summit", project=deployment.summit)
    assert {h["document_id"] for h in in_summit["hits"]} <= summit_ids

    typed = await deployment.search(q="decision", type="meeting_notes", limit=50)
    assert typed["hits"]
    assert {h["document_type"] for h in typed["hits"]} == {"meeting_notes"}

    dated = await deployment.search(q="meeting", **{"from": "2024-01-01", "to": "2024-12-31"}, limit=50)
    dates = {}
    for document_id, analysis in await deployment.analyses():
        dates[document_id] = analysis["document_date"]
    assert dated["hits"]
    assert all("2024-01-01" <= (dates[h["document_id"]] or "") <= "2024-12-31" for h in dated["hits"])

    owners = [
        (d, i["owner"]) for d, a in await deployment.analyses() for i in a["action_items"] if i["owner"]
    ]
    document_id, owner = owners[0]
    owned = await deployment.search(q="action", owner=owner, limit=50)
    holders = {d for d, o in owners if owner.casefold() in o.casefold()}
    assert document_id in holders
    assert {h["document_id"] for h in owned["hits"]} <= holders


async def test_results_never_include_another_organisations_documents(deployment: Deployment) -> None:
    mine = set(deployment.other_documents.values())
    shared = await deployment.search(deployment.other, q="agreed to close the RFC", limit=50)
    assert shared["hits"]
    assert {h["document_id"] for h in shared["hits"]} <= mine
    assert (
        not {h["document_id"] for h in (await deployment.search(deployment.other, q="TestRail"))["hits"]}
        - mine
    )
    answer = await deployment.ask(
        "Which warehouse vendor did the steering group choose?", user=deployment.other
    )
    assert answer["found"] is False
    assert answer["citations"] == []
    theirs = await deployment.search(q="agreed to close the RFC", limit=50)
    assert not {h["document_id"] for h in theirs["hits"]} & mine
    aimed = await deployment.search(deployment.other, q="TestRail", project=deployment.governance)
    assert aimed["hits"] == []


async def test_a_question_answered_in_one_meetings_minutes_cites_its_document_and_page(
    deployment: Deployment,
) -> None:
    answer = await deployment.ask("Which logistics company did the steering group select?")
    assert answer["found"] is True
    assert answer["kind"] == "extractive"
    citation = answer["citations"][0]
    assert (citation["document_id"], citation["page"]) == (deployment.documents["steering-minutes.pdf"], 2)
    assert "Northwind" in citation["quote"]
    assert "Northwind" in answer["answer"]
    text = await deployment.text(citation["document_id"])
    assert text[citation["start"] : citation["end"]] == citation["quote"]


async def test_an_unanswerable_question_is_not_found(deployment: Deployment) -> None:
    for question in ("What is the recipe for banana bread?", "Who won the football world cup in 2018?"):
        answer = await deployment.ask(question)
        assert (answer["found"], answer["answer"], answer["citations"]) == (
            False,
            "Not found in your documents.",
            [],
        )


async def test_structured_questions_return_exactly_the_matching_items(deployment: Deployment) -> None:
    analyses = await deployment.analyses()
    actions = [(d, i) for d, a in analyses for i in a["action_items"]]
    owner = next(i["owner"] for _, i in actions if i["owner"] and i["status"] == "open")
    expected = {(d, i["text"]) for d, i in actions if i["status"] == "open" and owner in (i["owner"] or "")}
    answer = await deployment.ask(f"open action items for {owner}")
    assert answer["kind"] == "structured"
    assert answer["found"] is True
    assert {(i["citation"]["document_id"], i["text"]) for i in answer["items"]} == expected

    today = dt.date.today().isoformat()
    overdue = {(d, i["text"]) for d, i in actions if i["status"] == "open" and (i["due_date"] or "9") < today}
    answer = await deployment.ask("what is overdue?")
    assert {(i["citation"]["document_id"], i["text"]) for i in answer["items"]} == overdue

    since = {
        (d, i["text"])
        for d, a in analyses
        for i in a["decisions"]
        if (a["document_date"] or "") >= "2024-01-01"
    }
    answer = await deployment.ask("decisions since 1 January 2024")
    assert since
    assert {(i["citation"]["document_id"], i["text"]) for i in answer["items"]} == since

    answer = await deployment.ask("open action items for Zelda Nobody")
    assert (answer["kind"], answer["found"], answer["items"]) == ("structured", False, [])
    assert (await deployment.ask("high risks in project Nonexistent"))["found"] is False


async def test_similar_documents_are_the_same_kind_of_meeting(deployment: Deployment) -> None:
    eslint = deployment.documents["eslint-tsc/2023-05-04.md"]
    response = await deployment.client.get(
        f"/api/v1/documents/{eslint}/similar", params={"limit": 3}, headers=deployment.owner.headers
    )
    similar = response.json()
    assert response.status_code == 200
    assert similar[0]["document_id"] in {
        deployment.documents["eslint-tsc/2023-06-29.md"],
        deployment.documents["eslint-tsc/2024-02-22.md"],
    }
    assert eslint not in {s["document_id"] for s in similar}
    assert not {s["document_id"] for s in similar} & set(deployment.other_documents.values())


async def test_bad_queries_get_clear_errors(deployment: Deployment) -> None:
    headers = deployment.owner.headers
    empty = await deployment.client.get("/api/v1/search", params={"q": "?!"}, headers=headers)
    assert (empty.status_code, empty.json()["detail"]) == (400, "The query has no words to search for.")
    too_long = await deployment.client.get("/api/v1/search", params={"q": "x" * 501}, headers=headers)
    assert too_long.status_code == 422
    bad_date = await deployment.client.get(
        "/api/v1/search", params={"q": "x", "from": "soon"}, headers=headers
    )
    assert bad_date.status_code == 422
    for query in ['"unbalanced', "NEAR(a b) OR", "col:value*", "a AND OR NOT b", "'; DROP TABLE x; --"]:
        assert (
            await deployment.client.get("/api/v1/search", params={"q": query}, headers=headers)
        ).status_code == 200


async def test_reindexing_replaces_chunks_atomically_and_deleting_removes_them(
    deployment: Deployment,
) -> None:
    client, headers = deployment.client, deployment.owner.headers
    document_id = deployment.documents["hhs-tanf-app/sprint-90-summary.md"]
    before = await deployment.search(q="RPT_MONTH_YEAR")
    old_chunks = {h["chunk_id"] for h in before["hits"] if h["document_id"] == document_id}

    assert (
        await client.post(f"/api/v1/documents/{document_id}/reprocess", headers=headers)
    ).status_code == 200
    seen_missing = 0
    while (await client.get(f"/api/v1/documents/{document_id}", headers=headers)).json()[
        "status"
    ] != "indexed":
        result = await deployment.search(q="RPT_MONTH_YEAR")
        seen_missing += not any(h["document_id"] == document_id for h in result["hits"])
        await asyncio.sleep(0.02)
    assert seen_missing == 0, "the document vanished from search while it was being re-indexed"
    after = await deployment.search(q="RPT_MONTH_YEAR")
    new_chunks = {h["chunk_id"] for h in after["hits"] if h["document_id"] == document_id}
    assert new_chunks
    assert not new_chunks & old_chunks

    assert (await client.delete(f"/api/v1/documents/{document_id}", headers=headers)).status_code == 204
    assert all(h["document_id"] != document_id for h in (await deployment.search(q="RPT_MONTH_YEAR"))["hits"])
    assert all(h["document_id"] != document_id for h in (await deployment.search(q="2711"))["hits"])
    async with deployment.state.sessionmaker() as session:
        count = (
            select(func.count())
            .select_from(SearchChunk)
            .where(SearchChunk.document_id == uuid.UUID(document_id))
        )
        assert (await session.execute(count)).scalar_one() == 0
    del deployment.documents["hhs-tanf-app/sprint-90-summary.md"]


def answering_model(quote: str | None, found: bool = True) -> Model:
    """Answers from the source holding the vendor decision, citing `quote` as from that source."""

    def reply(request: dict[str, Any]) -> Reply:
        sources = re.findall(
            r'<source id="(\d+)">\n(.*?)\n</source>', request["messages"][-1]["content"], re.S
        )
        number = next((int(n) for n, text in sources if "Northwind" in text), 1)
        citations = [{"source": number, "quote": quote}] if quote else []
        body = {
            "found": found,
            "answer": "Northwind Logistics runs the pilot." if found else "",
            "citations": citations,
        }
        return Reply(content=json.dumps(body))

    return reply


async def test_a_configured_model_writes_the_answer_and_its_quotes_are_verified(
    deployment: Deployment,
) -> None:
    question = "Which warehouse vendor did the steering group choose?"
    saved = deployment.state.settings.analysis
    cases = [
        (answering_model("chose  northwind logistics as the warehouse vendor"), "generative", True),
        (answering_model("Acme Freight was chosen"), "extractive", True),
        (answering_model(None, found=False), "generative", False),
        (lambda request: Reply(status=503), "extractive", True),
    ]
    try:
        for model, kind, found in cases:
            with fake_openai(model) as fake:
                llm = LLMSettings(
                    base_url=fake.url, model="m1", max_retries=0, usd_per_million_input_tokens=1.0
                )
                deployment.state.settings.analysis = AnalysisSettings(analyzer="llm", llm=llm)
                answer = await deployment.ask(question)
            assert (answer["kind"], answer["found"]) == (kind, found), answer
            if found:
                citation = answer["citations"][0]
                assert citation["document_id"] == deployment.documents["steering-minutes.pdf"]
                text = await deployment.text(citation["document_id"])
                assert text[citation["start"] : citation["end"]] == citation["quote"]
                assert "Northwind" in citation["quote"]
            assert (answer["note"] is None) == (kind == "generative")
            assert len(fake.requests) == 1
    finally:
        deployment.state.settings.analysis = saved
    usage = await deployment.client.get("/api/v1/usage", headers=deployment.owner.headers)
    assert usage.json()["calls"] >= 3
