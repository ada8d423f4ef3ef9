"""Settings pages over HTTP: members and invitations, API keys, the organisation's language model, and the
form token, permissions and escaping that guard them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import FastAPI

from tests.conftest import client_for
from tests.helpers import PASSWORD, Api, User, unique_email
from tests.web_support import open_page, sign_in

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


async def members_of(api: Api, owner: User, org: str) -> dict[str, str]:
    response = await api.client.get(f"/api/v1/orgs/{org}/members", headers=owner.headers)
    assert response.status_code == 200, response.text
    return {m["email"]: m["role"] for m in response.json()}


async def test_an_invitation_made_on_the_page_is_accepted_on_the_web(app: FastAPI, api: Api) -> None:
    owner, invitee = await api.user("inv-owner"), await api.user("inv-guest")
    org = await api.org(owner, "Invites")
    async with client_for(app) as browser, client_for(app) as guest:
        await sign_in(browser, owner)
        _, token = await open_page(browser, "/settings/members")
        made = await browser.post(
            "/settings/invitations", data={"email": invitee.email, "role": "member", "csrf": token}
        )
        assert made.status_code == 200, made.text
        assert made.headers["cache-control"] == "no-store"
        url = re.search(r'value="([^"]*/invitations/accept\?token=[^"]+)"', made.text)
        assert url, "the accept link is not shown"
        assert invitee.email in made.text
        secret = urlsplit(url[1]).query.removeprefix("token=")
        again, _ = await open_page(browser, "/settings/members")
        assert invitee.email in again
        assert secret not in again, "the link must be shown once only"

        await sign_in(guest, invitee)
        confirm, guest_token = await open_page(guest, f"/invitations/accept?{urlsplit(url[1]).query}")
        assert f'name="token" value="{secret}"' in confirm
        accepted = await guest.post("/invitations/accept", data={"token": secret, "csrf": guest_token})
        assert (accepted.status_code, accepted.headers["location"]) == (303, "/projects")
        assert guest.cookies.get("pmdi_org") == org
        assert (await members_of(api, owner, org))[invitee.email] == "member"
        used = await guest.post("/invitations/accept", data={"token": secret, "csrf": guest_token})
        assert used.status_code == 404
        members_page, _ = await open_page(guest, "/settings/members")
        assert owner.email in members_page


async def test_an_invitation_for_someone_else_cannot_be_taken(app: FastAPI, api: Api) -> None:
    owner, stranger = await api.user("inv2-owner"), await api.user("inv2-stranger")
    org = await api.org(owner, "Invites two")
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        _, token = await open_page(browser, "/settings/members")
        target = unique_email("target")
        made = await browser.post("/settings/invitations", data={"email": target, "csrf": token})
        secret = re.search(r"accept\?token=([^\"]+)\"", made.text)
        assert secret
        page, _ = await open_page(browser, "/settings/members")
        revoke = re.search(r'action="(/settings/invitations/[0-9a-f-]+/revoke)"', page)
        assert target in page
        assert revoke
    async with client_for(app) as other:
        anonymous = await other.get(f"/invitations/accept?token={secret[1]}", headers={"accept": "text/html"})
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login")
        await sign_in(other, stranger)
        _, other_token = await open_page(other, f"/invitations/accept?token={secret[1]}")
        taken = await other.post("/invitations/accept", data={"token": secret[1], "csrf": other_token})
        assert taken.status_code == 403
        assert stranger.email not in await members_of(api, owner, org)
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        _, token = await open_page(browser, "/settings/members")
        assert (await browser.post(revoke[1], data={"csrf": token})).status_code == 303
        page, _ = await open_page(browser, "/settings/members")
        assert target not in page


async def test_an_admin_changes_roles_and_removes_members(app: FastAPI, api: Api) -> None:
    owner = await api.user("roles-owner")
    org = await api.org(owner, "Roles")
    member = await api.add_member(owner, org, "member", "roles-member")
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        page, token = await open_page(browser, "/settings/members")
        assert f'action="/settings/members/{member.id}/role"' in page
        promoted = await browser.post(
            f"/settings/members/{member.id}/role", data={"role": "admin", "csrf": token}
        )
        assert (promoted.status_code, promoted.headers["location"]) == (303, "/settings/members")
        assert (await members_of(api, owner, org))[member.email] == "admin"
        last_owner = await browser.post(
            f"/settings/members/{owner.id}/role", data={"role": "viewer", "csrf": token}
        )
        assert last_owner.status_code == 409
        assert 'role="alert"' in last_owner.text
        assert "at least one owner" in last_owner.text
        assert (await members_of(api, owner, org))[owner.email] == "owner"
        removed = await browser.post(f"/settings/members/{member.id}/remove", data={"csrf": token})
        assert removed.status_code == 303
        assert member.email not in await members_of(api, owner, org)


async def test_a_viewer_reads_members_but_manages_nothing(app: FastAPI, api: Api) -> None:
    owner = await api.user("ro-owner")
    org = await api.org(owner, "Read only")
    viewer = await api.add_member(owner, org, "viewer", "ro-viewer")
    async with client_for(app) as browser:
        await sign_in(browser, viewer)
        page, token = await open_page(browser, "/settings/members")
        assert owner.email in page
        assert viewer.email in page
        assert "/remove" not in page
        assert "/settings/invitations" not in page
        assert 'name="role"' not in page
        home, _ = await open_page(browser, "/settings")
        assert "/settings/api-keys" not in home
        assert "/settings/llm" not in home
        assert 'action="/settings/organization"' not in home
        assert (await browser.get("/settings/api-keys")).status_code == 403
        assert (await browser.get("/settings/llm")).status_code == 403
        demote = await browser.post(
            f"/settings/members/{owner.id}/role", data={"role": "viewer", "csrf": token}
        )
        assert demote.status_code == 403
        invite = await browser.post("/settings/invitations", data={"email": unique_email(), "csrf": token})
        assert invite.status_code == 403
        key = await browser.post("/settings/api-keys", data={"name": "sneaky", "csrf": token})
        assert key.status_code == 403
    assert (await members_of(api, owner, org))[owner.email] == "owner"


async def test_an_api_key_is_shown_once_works_and_stops_when_revoked(app: FastAPI, api: Api) -> None:
    owner = await api.user("keys-owner")
    await api.org(owner, "Keys")
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        _, token = await open_page(browser, "/settings/api-keys")
        made = await browser.post(
            "/settings/api-keys", data={"name": "CI", "role": "viewer", "expires_on": "", "csrf": token}
        )
        assert made.status_code == 200, made.text
        assert made.headers["cache-control"] == "no-store"
        secret = re.search(r'value="(pmdi_[^"]+)"', made.text)
        assert secret
        bearer = {"Authorization": f"Bearer {secret[1]}"}
        assert (await api.client.get("/api/v1/projects", headers=bearer)).status_code == 200
        page, _ = await open_page(browser, "/settings/api-keys")
        assert secret[1] not in page
        assert secret[1][:12] in page
        revoke = re.search(r'action="(/settings/api-keys/[0-9a-f-]+/revoke)"', page)
        assert revoke
        assert (await browser.post(revoke[1], data={"csrf": token})).status_code == 303
        assert (await api.client.get("/api/v1/projects", headers=bearer)).status_code == 401
        page, _ = await open_page(browser, "/settings/api-keys")
        assert revoke[1] not in page, "a revoked key offers no second revoke"


async def test_api_key_expiry_and_role_come_from_the_form(app: FastAPI, api: Api) -> None:
    owner = await api.user("keys2-owner")
    org = await api.org(owner, "Keys two")
    admin = await api.add_member(owner, org, "admin", "keys2-admin")
    async with client_for(app) as browser:
        await sign_in(browser, admin)
        _, token = await open_page(browser, "/settings/api-keys")
        dated = {"name": "dated", "role": "member", "expires_on": "2999-12-31", "csrf": token}
        made = await browser.post("/settings/api-keys", data=dated)
        assert made.status_code == 200
        assert 'datetime="2999-12-31T00:00:00+00:00"' in made.text
        bad_date = await browser.post("/settings/api-keys", data={**dated, "expires_on": "31/12/2999"})
        assert bad_date.status_code == 400
        above = await browser.post("/settings/api-keys", data={**dated, "role": "owner"})
        assert above.status_code == 403
        page, _ = await open_page(browser, "/settings/api-keys")
        assert page.count("/revoke") == 1
        assert '<option value="owner"' not in page


async def test_llm_settings_saved_on_the_page_never_show_the_key(app: FastAPI, api: Api) -> None:
    owner = await api.user("llm-owner")
    org = await api.org(owner, "Models")
    api_url = f"/api/v1/orgs/{org}/llm"
    key = "sk-do-not-render-" + "x" * 20
    form = {"enabled": "true", "provider": "anthropic", "model": "claude-test", "monthly_budget_usd": "12.5"}
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        _, token = await open_page(browser, "/settings/llm")
        saved = await browser.post("/settings/llm", data={**form, "api_key": key, "csrf": token})
        assert (saved.status_code, saved.headers["location"]) == (303, "/settings/llm")
        stored = (await api.client.get(api_url, headers=owner.headers)).json()
        assert (stored["source"], stored["provider"], stored["model"]) == (
            "organization",
            "anthropic",
            "claude-test",
        )
        assert (stored["api_key_set"], stored["monthly_budget_usd"], stored["enabled"]) == (True, 12.5, True)
        page, _ = await open_page(browser, "/settings/llm")
        assert key not in page
        assert "set (hidden)" in page
        assert 'value="claude-test"' in page

        await browser.post("/settings/llm", data={**form, "enabled": "", "csrf": token})
        kept = (await api.client.get(api_url, headers=owner.headers)).json()
        assert (kept["api_key_set"], kept["enabled"]) == (True, False), "a blank key field keeps the key"
        await browser.post("/settings/llm", data={**form, "clear_api_key": "true", "csrf": token})
        assert (await api.client.get(api_url, headers=owner.headers)).json()["api_key_set"] is False

        reset = await browser.post("/settings/llm/reset", data={"csrf": token})
        assert reset.status_code == 303
        assert (await api.client.get(api_url, headers=owner.headers)).json()["source"] == "server"


async def test_posts_without_the_form_token_change_nothing(app: FastAPI, api: Api) -> None:
    owner = await api.user("csrf-owner")
    org = await api.org(owner, "Tokens")
    member = await api.add_member(owner, org, "member", "csrf-member")
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        forged = [
            (f"/settings/members/{member.id}/remove", {}),
            (f"/settings/members/{member.id}/role", {"role": "viewer"}),
            ("/settings/organization", {"name": "Renamed"}),
            ("/settings/invitations", {"email": unique_email()}),
            ("/settings/api-keys", {"name": "forged"}),
            ("/settings/llm", {"provider": "openai", "model": "m"}),
        ]
        for path, data in forged:
            assert (await browser.post(path, data=data)).status_code == 403, path
            assert (await browser.post(path, data={**data, "csrf": "wrong"})).status_code == 403, path
        keys, _ = await open_page(browser, "/settings/api-keys")
        assert "forged" not in keys
    assert (await members_of(api, owner, org))[member.email] == "member"
    org_now = (await api.client.get(f"/api/v1/orgs/{org}", headers=owner.headers)).json()
    assert org_now["name"] == "Tokens"
    llm = (await api.client.get(f"/api/v1/orgs/{org}/llm", headers=owner.headers)).json()
    assert llm["source"] == "server"


async def test_hostile_names_render_escaped(app: FastAPI, api: Api) -> None:
    email = unique_email("hostile")
    registered = await api.client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": HOSTILE}
    )
    assert registered.status_code == 201, registered.text
    owner = User(email=email, id=registered.json()["id"])
    await api.login(owner)
    org = await api.org(owner, "Plain")
    async with client_for(app) as browser:
        await sign_in(browser, owner)
        home, token = await open_page(browser, "/settings")
        renamed = await browser.post("/settings/organization", data={"name": HOSTILE, "csrf": token})
        assert (renamed.status_code, renamed.headers["location"]) == (303, "/settings")
        assert (await api.client.get(f"/api/v1/orgs/{org}", headers=owner.headers)).json()["name"] == HOSTILE
        for path in ("/settings", "/settings/members", "/settings/llm"):
            page, _ = await open_page(browser, path)
            assert ESCAPED in page, path
            assert HOSTILE not in page, path
        await browser.post("/settings/api-keys", data={"name": HOSTILE, "csrf": token})
        keys, _ = await open_page(browser, "/settings/api-keys")
        assert ESCAPED in keys
        assert HOSTILE not in keys
        usage = (await api.client.get("/api/v1/usage", headers={**owner.headers, "X-Org-Id": org})).json()
        assert f'id="llm-spent">${usage["cost_usd"]:.2f}' in home
