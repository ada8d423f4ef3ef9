"""Every route of the app, every role of organisation B, against every resource of organisation A.

A route whose path parameter or parameterless path is not described below fails this test, so new routes
must be added here deliberately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tests.helpers import PASSWORD, Api, User, text_file

ROLES = ("owner", "admin", "member", "viewer")

PUBLIC = "public"  # no identity needed
SELF = "self"  # acts on the caller's own account, not on an organisation's data
TENANT_READ = "tenant-read"  # lists scoped to the caller's organisation
TENANT_WRITE = "tenant-write"  # creates inside the caller's organisation
STREAM = "stream"  # realtime, subscribed per organisation: tests/test_realtime.py covers isolation

PARAMLESS_ROUTES = {
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/session"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): SELF,
    ("DELETE", "/api/v1/auth/session"): SELF,
    ("GET", "/api/v1/auth/me"): TENANT_READ,
    ("POST", "/api/v1/orgs"): SELF,
    ("GET", "/api/v1/orgs"): TENANT_READ,
    ("POST", "/api/v1/invitations/accept"): SELF,
    ("GET", "/api/v1/projects"): TENANT_READ,
    ("POST", "/api/v1/projects"): TENANT_WRITE,
    ("GET", "/api/v1/documents"): TENANT_READ,
    ("GET", "/api/v1/api-keys"): TENANT_READ,
    ("POST", "/api/v1/api-keys"): TENANT_WRITE,
    ("GET", "/api/v1/audit-events"): TENANT_READ,
    ("GET", "/api/v1/jobs"): TENANT_READ,
    ("GET", "/api/v1/usage"): TENANT_READ,
    ("GET", "/api/v1/search"): TENANT_READ,
    ("POST", "/api/v1/ask"): TENANT_READ,
    ("GET", "/api/v1/register-items"): TENANT_READ,
    ("POST", "/api/v1/register-items"): TENANT_WRITE,
    ("GET", "/api/v1/register-summary"): TENANT_READ,
    ("GET", "/api/v1/owner-aliases"): TENANT_READ,
    ("POST", "/api/v1/owner-aliases"): TENANT_WRITE,
    ("GET", "/api/v1/calendar-feeds"): TENANT_READ,
    ("POST", "/api/v1/calendar-feeds"): SELF,  # the caller's own feed; a project elsewhere: see below
    ("GET", "/api/v1/calendar.ics"): PUBLIC,  # the secret token is the credential
    ("GET", "/api/v1/events"): STREAM,
    ("WS", "/api/v1/ws"): STREAM,
    ("GET", "/api/v1/webhooks"): TENANT_READ,
    ("POST", "/api/v1/webhooks"): TENANT_WRITE,
    ("GET", "/api/v1/mailboxes"): TENANT_READ,
    ("POST", "/api/v1/mailboxes"): TENANT_WRITE,
}
NON_API_PATHS = {
    "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
    "/mcp",  # API-key only, one organisation per key: tests/test_mcp.py covers isolation
}  # fmt: skip
# Web pages render the same org-scoped services for the signed-in browser. Those with path parameters are
# all attacked by `test_web_pages_hide_other_organisations`; the rest act on the caller's own organisation.
WEB_PATHS = {
    "/", "/login", "/logout", "/signup", "/orgs/new", "/orgs", "/orgs/switch", "/projects", "/registers",
    "/search", "/ask", "/dashboard", "/settings", "/settings/organization", "/settings/members",
    "/settings/invitations", "/invitations/accept", "/settings/api-keys", "/settings/llm",
    "/settings/llm/reset", "/settings/webhooks", "/static",
}  # fmt: skip
NON_API_PATHS |= WEB_PATHS
# Pages that take another organisation's resource in the query string.
WEB_QUERY_REFERENCES = ("/registers?project={project_id}", "/dashboard?project={project_id}")
# Writes a viewer may make on its own organisation: leaving it, revoking its own calendar feed.
VIEWER_MAY = {("DELETE", "/api/v1/orgs/{org_id}/membership"), ("DELETE", "/api/v1/calendar-feeds/{feed_id}")}
PATH_PARAMS = {
    "org_id",
    "project_id",
    "document_id",
    "user_id",
    "key_id",
    "invitation_id",
    "job_id",
    "item_id",
    "alias_id",
    "feed_id",
    "webhook_id",
    "delivery_id",
    "mailbox_id",
}


@dataclass
class Tenant:
    org_id: str
    users: dict[str, User]
    ids: dict[str, str]
    viewer_key: str


async def build_tenant(api: Api, client: httpx.AsyncClient, name: str) -> Tenant:
    owner = await api.user(f"{name}-owner")
    org_id = await api.org(owner, name)
    users = {"owner": owner}
    for role in ROLES[1:]:
        users[role] = await api.add_member(owner, org_id, role, prefix=f"{name}-{role}")
    project_id = await api.project(owner)
    document = await api.uploaded(owner, project_id, f"{name}.txt", text_file(name))
    key = await client.post("/api/v1/api-keys", json={"name": name, "role": "admin"}, headers=owner.headers)
    viewer_key = await client.post(
        "/api/v1/api-keys", json={"name": "v", "role": "viewer"}, headers=owner.headers
    )
    invitation = await client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": f"pending-{name}@example.org"},
        headers=owner.headers,
    )
    jobs = await client.get("/api/v1/jobs", headers=owner.headers)
    item = await client.post(
        "/api/v1/register-items",
        json={"project_id": project_id, "kind": "action", "text": f"{name} task", "owner": f"{name} lead"},
        headers=owner.headers,
    )
    alias = await client.post(
        "/api/v1/owner-aliases", json={"alias": f"{name} lead", "user_id": owner.id}, headers=owner.headers
    )
    feed = await client.post("/api/v1/calendar-feeds", json={"project_id": project_id}, headers=owner.headers)
    # A public address, so the default SSRF guard accepts it; no worker runs here to send anything.
    webhook = await client.post(
        "/api/v1/webhooks",
        json={"url": f"https://93.184.215.14/{name}", "events": ["action_item.created"]},
        headers=owner.headers,
    )
    ping = await client.post(f"/api/v1/webhooks/{webhook.json()['id']}/test", headers=owner.headers)
    mailbox = await client.post(
        "/api/v1/mailboxes",
        json={
            "project_id": project_id,
            "name": name,
            "host": "127.0.0.1",
            "port": 1,
            "security": "none",
            "username": name,
            "password": "secret",
            "verify": False,
        },
        headers=owner.headers,
    )
    ids = {
        "org_id": org_id,
        "project_id": project_id,
        "document_id": document["id"],
        "user_id": users["member"].id,
        "key_id": key.json()["id"],
        "invitation_id": invitation.json()["id"],
        "job_id": jobs.json()["items"][0]["id"],
        "item_id": item.json()["id"],
        "alias_id": alias.json()["id"],
        "feed_id": feed.json()["id"],
        "webhook_id": webhook.json()["id"],
        "delivery_id": ping.json()["id"],
        "mailbox_id": mailbox.json()["id"],
    }
    return Tenant(org_id, users, ids, viewer_key.json()["key"])


def api_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    found = []
    for route in iter_route_contexts(app.routes):
        path, methods = route.path or "", route.methods or set()
        if path.startswith("/api/"):
            params = re.findall(r"{(\w+)}", path)
            found.extend((method, path, params) for method in sorted(methods or {"WS"}))
        else:
            params = re.findall(r"{(\w+)}", path)
            assert path in NON_API_PATHS or params, f"unreviewed route {methods} {path}"
            assert set(params) <= PATH_PARAMS | {"action"}, f"{path}: parameters not covered"
    assert len(found) > 20, "route discovery found too few routes"
    return found


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


async def call(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
    body = {} if method in {"POST", "PATCH", "PUT"} else None
    return await client.request(method, url, json=body, headers=headers)


def test_every_route_is_described(app: FastAPI) -> None:
    for method, path, params in api_routes(app):
        if params:
            unknown = set(params) - PATH_PARAMS
            assert not unknown, (
                f"{method} {path}: path parameter(s) {unknown} not covered by the isolation test"
            )
        else:
            assert (method, path) in PARAMLESS_ROUTES, f"{method} {path} is not described in PARAMLESS_ROUTES"


async def test_other_organisation_gets_404_for_every_resource(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    a = await build_tenant(api, client, "alpha")
    b = await build_tenant(api, client, "beta")
    failures = []
    for method, path, params in api_routes(app):
        if not params:
            continue
        variants = [a.ids]
        if "org_id" in params and len(params) > 1:
            variants.append({**a.ids, "org_id": b.org_id})
        for role, user in b.users.items():
            for ids in variants:
                response = await call(client, method, fill(path, ids), user.headers)
                leaked = [v for v in a.ids.values() if v in response.text]
                if response.status_code != 404 or leaked:
                    failures.append(f"{role}: {method} {fill(path, ids)} -> {response.status_code} {leaked}")
    assert not failures, "\n".join(failures)
    await assert_tenant_intact(client, a)


async def test_lists_never_show_another_organisations_data(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    a = await build_tenant(api, client, "alpha")
    b = await build_tenant(api, client, "beta")
    failures = []
    reads = [(m, p) for (m, p), kind in PARAMLESS_ROUTES.items() if kind == TENANT_READ]
    for role, user in b.users.items():
        for method, path in reads:
            response = await client.request(method, path, headers=user.headers, **aimed_at(path, a))
            leaked = [k for k, v in a.ids.items() if v in response.text]
            if response.status_code not in {200, 403} or leaked:
                failures.append(f"{role}: {method} {path} -> {response.status_code}, leaked {leaked}")
    assert not failures, "\n".join(failures)


def aimed_at(path: str, other: Tenant) -> dict[str, Any]:
    """A read filtered to the other organisation's project (search and ask need their query too)."""
    project = other.ids["project_id"]
    if path == "/api/v1/search":
        return {"params": {"q": "alpha notes", "project": project}}
    if path == "/api/v1/ask":
        return {"json": {"question": "What are the action items?", "project": project}}
    if path in {"/api/v1/register-items", "/api/v1/register-summary"}:
        return {"params": {"project": project, "owner": "alpha lead"}}
    return {"params": {"project_id": project}}


async def test_viewer_cannot_write_anything(app: FastAPI, api: Api, client: httpx.AsyncClient) -> None:
    b = await build_tenant(api, client, "beta")
    principals = {
        "viewer": b.users["viewer"].headers,
        "viewer api key": {"Authorization": f"Bearer {b.viewer_key}"},
    }
    failures = []
    for method, path, _ in api_routes(app):
        kind = PARAMLESS_ROUTES.get((method, path), TENANT_WRITE)
        if method in {"GET", "WS"} or kind in {PUBLIC, SELF, TENANT_READ} or (method, path) in VIEWER_MAY:
            continue
        for name, headers in principals.items():
            response = await call(client, method, fill(path, b.ids), headers)
            if response.status_code != 403:
                failures.append(f"{name}: {method} {path} -> {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures)
    await assert_tenant_intact(client, b)


async def assert_tenant_intact(client: httpx.AsyncClient, tenant: Tenant) -> None:
    owner = tenant.users["owner"].headers
    ids = tenant.ids
    assert (await client.get(f"/api/v1/projects/{ids['project_id']}", headers=owner)).status_code == 200
    document = await client.get(f"/api/v1/documents/{ids['document_id']}", headers=owner)
    assert document.json()["status"] == "queued"
    members = await client.get(f"/api/v1/orgs/{tenant.org_id}/members", headers=owner)
    assert {m["role"] for m in members.json()} == set(ROLES)
    keys = await client.get("/api/v1/api-keys", headers=owner)
    assert all(k["revoked_at"] is None for k in keys.json())
    invitations = await client.get(f"/api/v1/orgs/{tenant.org_id}/invitations", headers=owner)
    assert [i["id"] for i in invitations.json()] == [ids["invitation_id"]]
    webhook = (await client.get(f"/api/v1/webhooks/{ids['webhook_id']}", headers=owner)).json()
    assert (webhook["enabled"], webhook["events"]) == (True, ["action_item.created"])
    log = (await client.get(f"/api/v1/webhooks/{ids['webhook_id']}/deliveries", headers=owner)).json()
    assert [d["id"] for d in log["items"]] == [ids["delivery_id"]], "nobody else redelivered or tested it"


def web_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith("/api/") and "{" in path:
            found.extend((method, path) for method in sorted(route.methods or ()) if method != "HEAD")
    assert len(found) > 10, "web route discovery found too few routes"
    return found


async def test_web_pages_hide_other_organisations(app: FastAPI, api: Api, client: httpx.AsyncClient) -> None:
    """Signed in to the web UI as beta's owner (every permission), every page and form aimed at alpha's
    resources is a 404."""
    a = await build_tenant(api, client, "alpha")
    b = await build_tenant(api, client, "beta")
    signed_in = await client.post("/login", data={"email": b.users["owner"].email, "password": PASSWORD})
    assert signed_in.status_code == 303
    token = re.search(r'name="csrf" value="([^"]+)"', (await client.get("/projects")).text)
    assert token is not None
    failures = []
    ids = {**a.ids, "action": "accept"}
    targets = [(m, fill(p, ids)) for m, p in web_routes(app)]
    targets += [("GET", fill(p, ids)) for p in WEB_QUERY_REFERENCES]
    for method, url in targets:
        data = {"csrf": token[1], "role": "viewer", "name": "x"} if method == "POST" else None
        response = await client.request(method, url, data=data)
        leaked = [k for k, v in a.ids.items() if v in response.text]
        if response.status_code != 404 or leaked:
            failures.append(f"{method} {url} -> {response.status_code} {leaked}")
    assert not failures, "\n".join(failures)
    client.cookies.clear()
    await assert_tenant_intact(client, a)
