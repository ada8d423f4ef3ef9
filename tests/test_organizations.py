from __future__ import annotations

import httpx

from tests.helpers import Api


async def test_invitation_flow_and_member_listing(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner, "Acme")
    invitee = await api.user("invitee")
    invited = await client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": invitee.email, "role": "member"},
        headers=owner.headers,
    )
    assert invited.status_code == 201
    body = invited.json()
    assert body["accept_url"].endswith(body["token"])
    pending = await client.get(f"/api/v1/orgs/{org_id}/invitations", headers=owner.headers)
    assert [i["email"] for i in pending.json()] == [invitee.email]
    assert body["token"] not in pending.text

    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": body["token"]}, headers=invitee.headers
    )
    assert accepted.status_code == 200
    assert accepted.json()["role"] == "member"
    again = await client.post(
        "/api/v1/invitations/accept", json={"token": body["token"]}, headers=invitee.headers
    )
    assert again.status_code == 404

    members = await client.get(f"/api/v1/orgs/{org_id}/members", headers=invitee.headers)
    assert {(m["email"], m["role"]) for m in members.json()} == {
        (owner.email, "owner"),
        (invitee.email, "member"),
    }


async def test_invitation_is_bound_to_its_email(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner)
    stranger = await api.user("stranger")
    invited = await client.post(
        f"/api/v1/orgs/{org_id}/invitations", json={"email": "someone@example.org"}, headers=owner.headers
    )
    stolen = await client.post(
        "/api/v1/invitations/accept", json={"token": invited.json()["token"]}, headers=stranger.headers
    )
    assert stolen.status_code == 403
    assert (await client.get(f"/api/v1/orgs/{org_id}", headers=stranger.headers)).status_code == 404


async def test_role_rules_protect_owners(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner)
    admin = await api.add_member(owner, org_id, "admin")
    member = await api.add_member(owner, org_id, "member")

    promote = await client.patch(
        f"/api/v1/orgs/{org_id}/members/{member.id}", json={"role": "owner"}, headers=admin.headers
    )
    assert promote.status_code == 403
    demote_owner = await client.patch(
        f"/api/v1/orgs/{org_id}/members/{owner.id}", json={"role": "member"}, headers=admin.headers
    )
    assert demote_owner.status_code == 403
    last_owner = await client.patch(
        f"/api/v1/orgs/{org_id}/members/{owner.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert last_owner.status_code == 409
    assert last_owner.json()["error"] == "LastOwner"
    leave = await client.delete(f"/api/v1/orgs/{org_id}/membership", headers=owner.headers)
    assert leave.status_code == 409

    by_member = await client.patch(
        f"/api/v1/orgs/{org_id}/members/{admin.id}", json={"role": "viewer"}, headers=member.headers
    )
    assert by_member.status_code == 403
    removed = await client.delete(f"/api/v1/orgs/{org_id}/members/{member.id}", headers=admin.headers)
    assert removed.status_code == 204
    assert (await client.get(f"/api/v1/orgs/{org_id}", headers=member.headers)).status_code == 404


async def test_member_can_leave(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner)
    viewer = await api.add_member(owner, org_id, "viewer")
    assert (
        await client.delete(f"/api/v1/orgs/{org_id}/membership", headers=viewer.headers)
    ).status_code == 204
    assert (await client.get("/api/v1/orgs", headers=viewer.headers)).json() == []


async def test_several_organisations_need_an_explicit_choice(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    first = await api.org(user, "First")
    second = await api.org(user, "Second")
    ambiguous = await client.get("/api/v1/projects", headers=user.headers)
    assert ambiguous.status_code == 400
    assert ambiguous.json()["error"] == "OrganizationRequired"
    await api.project(user, "In second", org_id=second)
    in_first = await client.get("/api/v1/projects", headers={**user.headers, "X-Org-Id": first})
    in_second = await client.get("/api/v1/projects", headers={**user.headers, "X-Org-Id": second})
    assert in_first.json()["total"] == 0
    assert [p["name"] for p in in_second.json()["items"]] == ["In second"]
    garbage = await client.get("/api/v1/projects", headers={**user.headers, "X-Org-Id": "nope"})
    assert garbage.status_code == 404


async def test_user_without_organisation_gets_a_clear_error(api: Api, client: httpx.AsyncClient) -> None:
    user = await api.user()
    response = await client.get("/api/v1/projects", headers=user.headers)
    assert response.status_code == 400
    assert response.json()["error"] == "NoOrganization"


async def test_rename_and_audit_trail(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("owner")
    org_id = await api.org(owner, "Old")
    viewer = await api.add_member(owner, org_id, "viewer")
    renamed = await client.patch(f"/api/v1/orgs/{org_id}", json={"name": "New"}, headers=owner.headers)
    assert renamed.json()["name"] == "New"
    assert (await client.get("/api/v1/audit-events", headers=viewer.headers)).status_code == 403
    events = await client.get("/api/v1/audit-events", headers=owner.headers)
    actions = [e["action"] for e in events.json()["items"]]
    assert actions[0] == "organization.updated"
    assert {"organization.created", "invitation.created", "invitation.accepted"} <= set(actions)


async def test_nul_in_a_name_is_a_clear_422_on_every_backend(api: Api, client: httpx.AsyncClient) -> None:
    # Found by tests/test_schemathesis.py: PostgreSQL cannot store U+0000 and the insert crashed with a 500.
    owner = await api.user("owner")
    refused = await client.post("/api/v1/orgs", json={"name": "Acme\x00Ltd"}, headers=owner.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "ValidationError"
    literal = await client.post("/api/v1/orgs", json={"name": "Acme \\u0000 Ltd"}, headers=owner.headers)
    assert literal.status_code == 201, literal.text
    assert literal.json()["name"] == "Acme \\u0000 Ltd"
