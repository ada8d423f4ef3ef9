"""The web UI: sessions, escaping and CSP over HTTP, and the same in a real browser (Debian's Chromium)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.conftest import client_for
from tests.helpers import PASSWORD, Api
from tests.web_support import HOSTILE, chromium, live_server


async def signed_up(api: Api, name: str) -> tuple[str, str]:
    owner = await api.user(name)
    await api.org(owner, name)
    await api.project(owner, HOSTILE)
    return owner.email, PASSWORD


async def test_pages_need_a_session_and_escape_everything(api: Api, client: httpx.AsyncClient) -> None:
    email, password = await signed_up(api, "web-http")
    anonymous = await client.get("/projects")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
    form = await client.get("/login")
    assert form.status_code == 200
    assert "script-src 'self'" in form.headers["content-security-policy"]
    assert "<script>" not in form.text.replace('<script src="/static/', "")
    wrong = await client.post("/login", data={"email": email, "password": "not the password"})
    assert wrong.status_code == 401
    assert 'role="alert"' in wrong.text
    signed_in = await client.post("/login", data={"email": email, "password": password})
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/projects")
    page = await client.get("/projects")
    assert page.status_code == 200
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert (await client.get("/static/htmx-2.0.11.min.js")).status_code == 200


async def test_a_browser_signs_in_and_hostile_names_stay_inert(api: Api, app: FastAPI) -> None:
    email, password = await signed_up(api, "web-browser")
    async with live_server(app) as base, chromium() as browser:
        page = browser.page
        await page.goto(f"{base}/projects")
        assert page.url.endswith("/login")
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", password)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/projects")
        assert await page.inner_text("li .name") == HOSTILE
        assert await page.evaluate("typeof window.htmx") == "object", "vendored htmx did not load under CSP"
        await browser.shot("projects")
        await page.click("li a.name")
        await page.wait_for_url(f"{base}/projects/*")
        assert await page.inner_text("h1") == HOSTILE
        assert await page.inner_text("#overdue-count") == "0"
        await browser.shot("project-home")
    assert browser.dialogs == [], "a script from a project name ran"


async def signed_in(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text


async def test_project_home_shows_the_registers_to_its_organisation_only(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    owner = await api.user("web-home")
    await api.org(owner, "Home")
    project = await api.project(owner, "Falcon")
    items = [
        {"kind": "action", "text": HOSTILE, "owner": "Tom Becker", "due_date": "2020-01-31"},
        {"kind": "risk", "text": "The supplier may not deliver the servers", "severity": "high"},
        {"kind": "decision", "text": "Go-live moves to 14 April"},
        {"kind": "milestone", "text": "Beta release", "due_date": "2030-10-30"},
    ]
    for item in items:
        created = await client.post(
            "/api/v1/register-items", json={"project_id": project, **item}, headers=owner.headers
        )
        assert created.status_code == 201, created.text
    await signed_in(client, owner.email)
    page = await client.get(f"/projects/{project}")
    assert page.status_code == 200
    assert '<strong id="overdue-count">1</strong>' in page.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    for text in (
        "The supplier may not deliver the servers",
        "Go-live moves to 14 April",
        "Beta release",
        "2030-10-30",
    ):
        assert text in page.text
    stranger = await api.user("web-stranger")
    await api.org(stranger, "Elsewhere")
    async with client_for(app) as other:
        await signed_in(other, stranger.email)
        assert (await other.get(f"/projects/{project}")).status_code == 404


async def test_sign_out_needs_the_pages_csrf_token(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("web-out")
    await api.org(owner, "Out")
    await signed_in(client, owner.email)
    page = await client.get("/projects")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None, "a signed-in page must offer the sign-out form"
    forged = await client.post("/logout", data={"csrf": "not-the-token"})
    assert forged.status_code == 403
    assert (await client.get("/projects")).status_code == 200, "a forged sign-out must not end the session"
    cookie = client.cookies["pmdi_session"]
    out = await client.post("/logout", data={"csrf": token[1]})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    client.cookies.clear()
    client.cookies.set("pmdi_session", cookie)
    replayed = await client.get("/projects")
    assert replayed.status_code == 303, "the signed-out session must be revoked on the server"


async def test_a_refused_htmx_write_shows_a_toast_and_changes_nothing(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    """A member whose role was lowered while editing gets the refusal as a toast, not a broken page."""
    owner = await api.user("web-toast-owner")
    org = await api.org(owner, "Toast")
    member = await api.add_member(owner, org, "member", prefix="web-toast-member")
    project = await api.project(owner, "Falcon")
    created = await client.post(
        "/api/v1/register-items",
        json={"project_id": project, "kind": "action", "text": "Book the venue"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    async with live_server(app) as base, chromium() as browser:
        page = browser.page
        await page.goto(f"{base}/login")
        await page.fill("input[name=email]", member.email)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.goto(f"{base}/registers?project={project}")
        await page.click("button:text-is('Edit')")
        await page.fill("form.item-form textarea[name=text]", "Cancel the venue")
        demoted = await client.patch(
            f"/api/v1/orgs/{org}/members/{member.id}", json={"role": "viewer"}, headers=owner.headers
        )
        assert demoted.status_code == 200, demoted.text
        await page.click("form.item-form button[type=submit]")
        toast = page.locator("#toasts .toast")
        await toast.wait_for()
        assert "does not allow" in await toast.inner_text()
        assert await page.locator("form.item-form").count() == 1, "the form stays, with what was typed"
        await browser.shot("toast")
    item = await client.get(f"/api/v1/register-items/{created.json()['id']}", headers=owner.headers)
    assert item.json()["text"] == "Book the venue"


async def test_nul_in_a_form_field_is_a_clear_422_page(client: httpx.AsyncClient) -> None:
    # PostgreSQL refuses U+0000 even in a lookup, so signing in with one used to crash with a 500.
    response = await client.post("/login", data={"email": "ann\x00@example.org", "password": PASSWORD})
    assert response.status_code == 422
    assert 'role="alert"' in response.text
