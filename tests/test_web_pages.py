"""Web pages over HTTP: the organisation switcher, sign-up errors, document filters and reprocessing, the
review queue, search and ask without JavaScript, and export — each through the same services as the API."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from pmdi.registers.models import RegisterItem
from tests.conftest import client_for
from tests.helpers import PASSWORD, Api, User
from tests.jobs_support import fresh_app, wait_settled

DATA = Path(__file__).parent / "data" / "registers"


async def browser_session(client: httpx.AsyncClient, user: User) -> str:
    """Signs the client in with a cookie; returns the page's form token."""
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    token = re.search(r'name="csrf" value="([^"]+)"', (await client.get("/projects")).text)
    assert token is not None
    return token[1]


async def test_the_organisation_switcher_changes_every_page(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user("web-switch")
    first, second = await api.org(user, "First Org"), await api.org(user, "Second Org")
    await api.project(user, "Only in first", org_id=first)
    await api.project(user, "Only in second", org_id=second)
    csrf = await browser_session(client, user)
    page = await client.get("/projects")
    assert "Only in first" in page.text
    assert "Only in second" not in page.text
    switched = await client.post("/orgs/switch", data={"csrf": csrf, "org_id": second})
    assert switched.status_code == 303
    page = await client.get("/projects")
    assert "Only in second" in page.text
    assert "Only in first" not in page.text
    stranger = await api.user("web-switch-stranger")
    foreign = await api.org(stranger, "Not yours")
    await client.post("/orgs/switch", data={"csrf": csrf, "org_id": foreign})
    assert "Only in second" in (await client.get("/projects")).text, "a foreign organisation is never chosen"
    client.cookies.set("pmdi_org", foreign)
    assert "Only in first" in (await client.get("/projects")).text, "a forged cookie falls back to your own"


async def test_sign_up_explains_what_is_wrong_and_leads_to_a_new_organisation(
    client: httpx.AsyncClient,
) -> None:
    short = await client.post("/signup", data={"email": "new@example.org", "password": "short"})
    assert short.status_code == 400
    assert "at least 10 characters" in short.text
    assert 'value="new@example.org"' in short.text, "what was typed stays in the form"
    created = await client.post("/signup", data={"email": "new@example.org", "password": PASSWORD})
    assert (created.status_code, created.headers["location"]) == (303, "/orgs/new")
    assert (await client.get("/projects")).headers["location"] == "/orgs/new"
    again = await client.post("/signup", data={"email": "new@example.org", "password": PASSWORD})
    assert again.status_code == 409
    form = await client.get("/orgs/new")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    made = await client.post("/orgs", data={"csrf": csrf[1], "name": "Fresh"})
    assert (made.status_code, made.headers["location"]) == (303, "/projects")
    assert "Fresh" in (await client.get("/projects")).text


async def test_unknown_pages_and_bad_filters_answer_in_html(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user("web-errors")
    await api.org(user, "Errors")
    await browser_session(client, user)
    missing = await client.get("/documents/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in missing.text
    bad_date = await client.get("/search", params={"q": "budget", "from": "yesterday"})
    assert bad_date.status_code == 400
    assert "From must be a date" in bad_date.text
    htmx = await client.get("/documents/00000000-0000-0000-0000-000000000000", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Retarget"] == "#toasts"
    assert 'class="toast' in htmx.text
    client.cookies.clear()
    signed_out = await client.get("/registers", headers={"HX-Request": "true"})
    assert signed_out.headers["HX-Redirect"] == "/login"


async def test_documents_reprocess_review_ask_and_export_through_the_pages(tmp_root: Path) -> None:
    async with fresh_app("sqlite", tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user("web-flow")
        await api.org(owner, "Flow")
        project = await api.project(owner, "Falcon")
        for name in ("falcon-minutes-week1.md", "falcon-status-2026-10-02.md"):
            await api.uploaded(owner, project, name, (DATA / name).read_bytes())
        documents = await wait_settled(client, owner, 2)
        csrf = await browser_session(client, owner)
        listed = await client.get(f"/projects/{project}/documents", params={"type": "status_report"})
        assert "falcon-status-2026-10-02.md" in listed.text
        assert "falcon-minutes-week1.md" not in listed.text
        minutes = next(d for d in documents if d["filename"] == "falcon-minutes-week1.md")
        again = await client.post(f"/documents/{minutes['id']}/reprocess", data={"csrf": csrf})
        assert (again.status_code, again.headers["location"]) == (303, f"/documents/{minutes['id']}")
        await wait_settled(client, owner, 2)
        jobs = await client.get("/api/v1/jobs", params={"document_id": minutes["id"]}, headers=owner.headers)
        assert jobs.json()["total"] == 2, "reprocessing runs the pipeline again"
        await review_through_the_queue(client, csrf, project)
        await ask_without_javascript(client, csrf)
        exported = await client.get(
            f"/projects/{project}/export", params={"register": "risk", "format": "csv"}
        )
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert any("servers" in row["Risk"] for row in rows), rows


async def review_through_the_queue(client: httpx.AsyncClient, csrf: str, project: str) -> None:
    queue = await client.get("/registers", params={"project": project, "review": "suggested"})
    ids = re.findall(r'<tr id="item-([0-9a-f-]+)" class="review-suggested"', queue.text)
    assert len(ids) >= 2, queue.text
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    accepted = await client.post(f"/registers/items/{ids[0]}/accept", headers=headers)
    assert 'class="review-accepted"' in accepted.text
    rejected = await client.post(f"/registers/items/{ids[1]}/reject", headers=headers)
    assert 'class="review-rejected"' in rejected.text
    refused = await client.post(f"/registers/items/{ids[1]}/merge", headers=headers)
    assert refused.status_code == 400, "an item that repeats nothing cannot be merged"
    forged = await client.post(f"/registers/items/{ids[1]}/accept", headers={"HX-Request": "true"})
    assert forged.status_code == 403
    queue = await client.get("/registers", params={"project": project, "review": "suggested"})
    assert ids[0] not in queue.text
    assert ids[1] not in queue.text


async def ask_without_javascript(client: httpx.AsyncClient, csrf: str) -> None:
    answer = await client.post("/ask", data={"csrf": csrf, "question": "When is the beta release?"})
    assert answer.status_code == 200
    citation = re.search(r'class="citation" href="(/documents/[^"]+)"', answer.text)
    assert citation is not None, answer.text
    opened = await client.get(citation[1].replace("&amp;", "&").split("#")[0])
    assert '<mark id="focus">' in opened.text


async def test_merging_a_suggested_duplicate_from_the_review_queue(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    owner = await api.user("web-merge")
    await api.org(owner, "Merge")
    project = await api.project(owner, "Falcon")
    ids = []
    for text in ("Book the venue for the offsite", "Book a venue for the team offsite"):
        created = await client.post(
            "/api/v1/register-items",
            json={"project_id": project, "kind": "action", "text": text},
            headers=owner.headers,
        )
        ids.append(created.json()["id"])
    # What the matcher makes of a near repeat it cannot call: a suggested item pointing at its look-alike.
    async with app.state.pmdi.sessionmaker() as session:
        await session.execute(
            update(RegisterItem)
            .where(RegisterItem.id == uuid.UUID(ids[1]))
            .values(review="suggested", duplicate_of_id=uuid.UUID(ids[0]))
        )
        await session.commit()
    csrf = await browser_session(client, owner)
    queue = await client.get("/registers", params={"project": project, "review": "suggested"})
    assert f'hx-post="/registers/items/{ids[1]}/merge"' in queue.text
    merged = await client.post(
        f"/registers/items/{ids[1]}/merge", headers={"HX-Request": "true", "X-CSRF-Token": csrf}
    )
    assert f'id="item-{ids[1]}" class="review-merged"' in merged.text
    target = await client.get(f"/api/v1/register-items/{ids[1]}", headers=owner.headers)
    assert target.json()["merged_into_id"] == ids[0]
    register = await client.get("/registers", params={"project": project})
    assert ids[1] not in register.text
    assert ids[0] in register.text
