from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import client_for
from tests.helpers import PASSWORD, Api, unique_email


async def test_register_login_and_me(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user("ann")
    org_id = await api.org(user, "Acme")
    me = await client.get("/api/v1/auth/me", headers=user.headers)
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == user.email
    assert body["memberships"] == [{"organization_id": org_id, "organization_name": "Acme", "role": "owner"}]
    assert "password" not in me.text


async def test_register_rejects_duplicates_weak_passwords_and_bad_emails(client: httpx.AsyncClient) -> None:
    email = unique_email()
    first = await client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert first.status_code == 201
    again = await client.post("/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD})
    assert again.status_code == 409
    assert again.json()["error"] == "EmailAlreadyRegistered"
    weak = await client.post("/api/v1/auth/register", json={"email": unique_email(), "password": "short"})
    assert weak.status_code == 422
    assert weak.json()["error"] == "ValidationError"
    bad = await client.post("/api/v1/auth/register", json={"email": "not-an-email", "password": PASSWORD})
    assert bad.status_code == 422


async def test_wrong_password_and_unknown_user_look_the_same(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    wrong = await client.post("/api/v1/auth/login", json={"email": user.email, "password": "wrong password"})
    unknown = await client.post("/api/v1/auth/login", json={"email": unique_email(), "password": "whatever"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_requests_without_valid_credentials_are_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    bad = await client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401
    assert bad.json()["error"] == "InvalidToken"
    basic = await client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


async def test_refresh_rotates_and_reuse_revokes_the_login(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != user.refresh_token
    new_headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=new_headers)).status_code == 200

    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert replay.status_code == 401
    # Reuse of a rotated token means it leaked: the whole login is revoked, including the new tokens.
    assert (await client.get("/api/v1/auth/me", headers=new_headers)).status_code == 401
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401


async def test_access_token_is_not_a_refresh_token(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.access_token})
    assert response.status_code == 401
    as_access = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {user.refresh_token}"})
    assert as_access.status_code == 401


async def test_logout_revokes_access_and_refresh_tokens(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=user.headers)).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refresh.status_code == 401


async def test_cookie_session_requires_csrf_token_for_writes(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    login = await client.post("/api/v1/auth/session", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == 200
    csrf = login.json()["csrf_token"]
    set_cookie = login.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert (await client.get("/api/v1/auth/me")).status_code == 200

    forged = await client.post("/api/v1/orgs", json={"name": "Forged"})
    assert forged.status_code == 403
    assert forged.json()["error"] == "CsrfFailed"
    wrong = await client.post("/api/v1/orgs", json={"name": "Forged"}, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    ok = await client.post("/api/v1/orgs", json={"name": "Real"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201

    logout = await client.delete("/api/v1/auth/session", headers={"X-CSRF-Token": csrf})
    assert logout.status_code == 204
    client.cookies.clear()
    client.cookies.set("pmdi_session", login.cookies["pmdi_session"])
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_login_throttle_cannot_lock_out_the_victim(app: FastAPI, api: Api) -> None:
    victim = await api.user("victim")
    async with client_for(app, ip="203.0.113.66") as attacker:
        for _ in range(5):
            response = await attacker.post(
                "/api/v1/auth/login", json={"email": victim.email, "password": "guess guess guess"}
            )
            assert response.status_code == 401
        blocked = await attacker.post(
            "/api/v1/auth/login", json={"email": victim.email, "password": PASSWORD}
        )
        assert blocked.status_code == 429
        assert int(blocked.headers["Retry-After"]) > 0
        assert blocked.json()["error"] == "LoginThrottled"
    async with client_for(app, ip="198.51.100.7") as victim_client:
        ok = await victim_client.post(
            "/api/v1/auth/login", json={"email": victim.email, "password": PASSWORD}
        )
        assert ok.status_code == 200


async def test_api_keys_are_shown_once_stored_hashed_and_revocable(
    api: Api, client: httpx.AsyncClient
) -> None:
    owner = await api.user("owner")
    await api.org(owner)
    created = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "role": "member"}, headers=owner.headers
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("pmdi_")
    listed = await client.get("/api/v1/api-keys", headers=owner.headers)
    assert key not in listed.text
    assert listed.json()[0]["prefix"] == key[:12]

    key_headers = {"Authorization": f"Bearer {key}"}
    project = await client.post("/api/v1/projects", json={"name": "Via key"}, headers=key_headers)
    assert project.status_code == 201
    # A member-role key cannot manage keys.
    assert (await client.get("/api/v1/api-keys", headers=key_headers)).status_code == 403

    revoked = await client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/projects", headers=key_headers)).status_code == 401


async def test_api_key_cannot_exceed_its_creators_role(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner)
    admin = await api.add_member(owner, org_id, "admin")
    too_high = await client.post(
        "/api/v1/api-keys", json={"name": "x", "role": "owner"}, headers=admin.headers
    )
    assert too_high.status_code == 403
    created = await client.post(
        "/api/v1/api-keys", json={"name": "x", "role": "admin"}, headers=admin.headers
    )
    key_headers = {"Authorization": f"Bearer {created.json()['key']}"}
    assert (await client.get("/api/v1/api-keys", headers=key_headers)).status_code == 200
    # Demoting the creator caps the key at the creator's new role.
    demoted = await client.patch(
        f"/api/v1/orgs/{org_id}/members/{admin.id}", json={"role": "viewer"}, headers=owner.headers
    )
    assert demoted.status_code == 200
    assert (await client.get("/api/v1/api-keys", headers=key_headers)).status_code == 403
    assert (
        await client.post("/api/v1/projects", json={"name": "no"}, headers=key_headers)
    ).status_code == 403
