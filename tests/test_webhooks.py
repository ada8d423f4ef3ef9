"""Outgoing webhooks through the HTTP API, sent by the embedded worker to a real HTTP receiver on 127.0.0.1:
signatures, retries, automatic disabling, redelivery, SSRF refusals, leases and tenant isolation."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import httpx

from pmdi.config import WebhookSettings
from pmdi.webhooks.delivery import post
from tests.conftest import client_for
from tests.helpers import Api
from tests.jobs_support import wait_settled
from tests.webhooks_support import (
    HOOKS,
    PUBLIC_URL,
    Receiver,
    fresh_database,
    log,
    receiving,
    running,
    self_signed,
    settled,
    verified,
    webhook,
)

NOTES = (
    b"Project Apollo weekly meeting notes\n\nAction items:\n- Ann to send the budget by Friday.\n\n"
    b"Risks:\n- Vendor delay may slip the launch (high impact).\n"
    b"- Minor font issue in the report (low impact).\n"
)
REGISTERS = Path(__file__).parent / "data" / "registers"


async def test_processed_documents_and_new_items_reach_the_receiver_signed(
    backend: str, tmp_root: Path
) -> None:
    receiver = Receiver()
    async with (
        receiving(receiver) as target,
        fresh_database(backend, tmp_root) as url,
        running(url, tmp_root) as app,
        client_for(app) as client,
    ):
        api = Api(client)
        owner = await api.user("hooks")
        org = await api.org(owner, "Hooks")
        project = await api.project(owner)
        events = ("document.processed", "action_item.created", "risk.created")
        created = await client.post(
            HOOKS,
            json={"url": target, "events": events, "filters": {"min_severity": "high"}},
            headers=owner.headers,
        )
        assert (created.status_code, created.headers["cache-control"]) == (201, "no-store")
        hook = created.json()
        secret = hook["secret"]
        assert secret.startswith(hook["secret_prefix"])
        assert len(secret) > 40
        listed = await client.get(HOOKS, headers=owner.headers)
        assert [h["id"] for h in listed.json()] == [hook["id"]]
        assert secret not in listed.text

        document = await api.uploaded(owner, project, "notes.txt", NOTES)
        deliveries = await settled(client, owner, hook["id"], 3)
        received = {verified(r, secret)["type"]: r for r in receiver.requests}
        assert sorted(received) == sorted(events), "the low risk is filtered out"
        assert len(receiver.requests) == 3, "nothing else is sent"

        processed = received["document.processed"].event
        assert processed["organization_id"] == org
        assert processed["data"] == {"document_id": document["id"], "status": "indexed"}
        action = received["action_item.created"].event["data"]
        assert (action["item"]["owner"], action["source"], action["document_id"]) == (
            "Ann",
            "document",
            document["id"],
        )
        risk = received["risk.created"].event["data"]["item"]
        assert (risk["severity"], risk["project_id"]) == ("high", project)

        assert {d["state"] for d in deliveries} == {"succeeded"}
        assert [(d["attempts"], [a["status_code"] for a in d["attempt_log"]]) for d in deliveries] == [
            (1, [200])
        ] * 3
        sent = {r.headers["x-pmdi-delivery"]: r.event["id"] for r in receiver.requests}
        assert sent == {d["id"]: d["event_id"] for d in deliveries}


async def test_failures_retry_then_disable_the_webhook_and_redelivery_sends_again(
    backend: str, tmp_root: Path
) -> None:
    receiver = Receiver(status=500)
    quick = {"max_attempts": 3, "retry_backoff_seconds": 0.05, "retry_backoff_max_seconds": 0.1}
    async with (
        receiving(receiver) as target,
        fresh_database(backend, tmp_root) as url,
        running(url, tmp_root, disable_after_failures=2, **quick) as app,
        client_for(app) as client,
    ):
        api = Api(client)
        owner = await api.user("failing")
        await api.org(owner, "Failing")
        hook = await webhook(client, owner, target, "document.processed")
        path = f"{HOOKS}/{hook['id']}"

        async def ping() -> str:
            response = await client.post(f"{path}/test", headers=owner.headers)
            assert response.status_code == 202, response.text
            return str(response.json()["id"])

        async def failures() -> int:
            return int((await client.get(path, headers=owner.headers)).json()["consecutive_failures"])

        first = await ping()
        await settled(client, owner, hook["id"], 1)
        assert await failures() == 1
        receiver.status = 200
        await ping()
        await settled(client, owner, hook["id"], 2)
        assert await failures() == 0, "a success resets the run of failures"
        receiver.status = 500
        await ping()
        await ping()
        deliveries = await settled(client, owner, hook["id"], 4)

        states = [(d["state"], d["attempts"], d["last_error"]) for d in deliveries]
        assert states == [("failed", 3, "HTTP 500")] * 2 + [("succeeded", 1, None), ("failed", 3, "HTTP 500")]
        assert [a["status_code"] for a in deliveries[0]["attempt_log"]] == [500, 500, 500]
        assert len(receiver.requests) == 10
        disabled = (await client.get(path, headers=owner.headers)).json()
        assert (disabled["enabled"], disabled["consecutive_failures"]) == (False, 2)
        assert "after 2 failed deliveries in a row (last: HTTP 500)" in disabled["disabled_reason"]
        assert (await client.post(f"{path}/test", headers=owner.headers)).status_code == 409
        again = f"{path}/deliveries/{first}/redeliver"
        assert (await client.post(again, headers=owner.headers)).status_code == 409

        enabled = (await client.patch(path, json={"enabled": True}, headers=owner.headers)).json()
        assert (enabled["enabled"], enabled["disabled_reason"], enabled["consecutive_failures"]) == (
            True,
            None,
            0,
        )
        receiver.status = 200
        response = await client.post(again, headers=owner.headers)
        assert response.status_code == 202, response.text
        redelivered = response.json()
        newest = (await settled(client, owner, hook["id"], 5))[0]
        original = next(d for d in deliveries if d["id"] == first)
        assert (newest["id"], newest["state"], newest["redelivery_of_id"]) == (
            redelivered["id"],
            "succeeded",
            first,
        )
        assert newest["event_id"] == original["event_id"]
        assert newest["payload"] == original["payload"]
        last = receiver.requests[-1]
        assert (last.headers["x-pmdi-delivery"], last.event["id"]) == (newest["id"], original["event_id"])


async def test_the_address_is_checked_again_when_sending(backend: str, tmp_root: Path) -> None:
    """Allowed when saved, refused once the server no longer allows private targets: nothing is sent."""
    receiver = Receiver()
    async with receiving(receiver) as target, fresh_database(backend, tmp_root) as url:
        async with running(url, tmp_root, worker=False) as app, client_for(app) as client:
            api = Api(client)
            owner = await api.user("rebind")
            await api.org(owner, "Rebind")
            hook = await webhook(client, owner, target, "document.processed")
            assert (await client.post(f"{HOOKS}/{hook['id']}/test", headers=owner.headers)).status_code == 202
        async with (
            running(url, tmp_root, allow_private_targets=False, max_attempts=1) as app,
            client_for(app) as client,
        ):
            [delivery] = await settled(client, owner, hook["id"], 1)
    assert delivery["state"] == "failed"
    assert "127.0.0.1, a private, loopback" in delivery["last_error"]
    assert receiver.requests == []


async def test_two_workers_never_send_the_same_attempt(backend: str, tmp_root: Path) -> None:
    receiver = Receiver()
    async with (
        receiving(receiver) as target,
        fresh_database(backend, tmp_root) as url,
        running(url, tmp_root, concurrency=8) as first,
        running(url, tmp_root, concurrency=8),
        client_for(first) as client,
    ):
        api = Api(client)
        owner = await api.user("leases")
        await api.org(owner, "Leases")
        hook = await webhook(client, owner, target, "document.processed")
        pings = [await client.post(f"{HOOKS}/{hook['id']}/test", headers=owner.headers) for _ in range(16)]
        deliveries = await settled(client, owner, hook["id"], 16)
        await asyncio.sleep(0.5)  # a duplicate send would arrive by now
    sent = [r.headers["x-pmdi-delivery"] for r in receiver.requests]
    assert sorted(sent) == sorted(p.json()["id"] for p in pings)
    assert {(d["state"], d["attempts"]) for d in deliveries} == {("succeeded", 1)}


async def test_https_goes_to_the_checked_address_and_still_verifies_the_name(tmp_path: Path) -> None:
    """The connection is made to the address that was checked, while TLS presents and verifies the host
    name: a certificate for another name is refused."""
    allowed = WebhookSettings(allow_private_targets=True)
    for name, expected in (("localhost", 200), ("elsewhere.example", None)):
        receiver, tls = Receiver(), self_signed(tmp_path, name)
        trusted = ssl.create_default_context(cafile=str(tls[0]))
        async with receiving(receiver, tls) as target, httpx.AsyncClient(verify=trusted) as client:
            outcome = await post(client, target, b"{}", {"X-Pmdi-Event": "ping"}, allowed)
        assert outcome.status_code == expected, outcome
        if expected is None:
            assert "not valid for 'localhost'" in (outcome.error or "")
            assert receiver.requests == []
        else:
            assert receiver.requests[0].headers["host"] == target.split("/")[2]


REFUSED = {
    "http://127.0.0.1:8080/hook": "non-public address",
    "http://10.0.0.1/hook": "non-public address",
    "http://[::1]/hook": "non-public address",
    "http://localhost/hook": "non-public address",
    "http://[::ffff:127.0.0.1]/hook": "non-public address",
    "http://169.254.169.254/latest/meta-data": "non-public address",
    "http://0.0.0.0/hook": "non-public address",
    "http://224.0.0.1/hook": "non-public address",
    "http://[2002:a00:1::1]/hook": "non-public address",
    "ftp://93.184.215.14/hook": "http:// or https://",
    "https://user:password@93.184.215.14/hook": "must not contain credentials",
    "https://:0/hook": "http:// or https:// URL with a host",
}


async def test_private_and_malformed_targets_are_refused(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("ssrf")
    org = await api.org(owner, "SSRF")
    for url, reason in REFUSED.items():
        response = await client.post(
            HOOKS, json={"url": url, "events": ["risk.created"]}, headers=owner.headers
        )
        assert (response.status_code, response.json()["error"]) == (400, "UnsafeWebhookUrl"), url
        assert reason in response.json()["detail"], (url, response.json()["detail"])
        if reason == "non-public address":
            assert "PMDI_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true" in response.json()["detail"]
    hook = await webhook(api.client, owner, PUBLIC_URL, "risk.created")
    moved = await client.patch(
        f"{HOOKS}/{hook['id']}", json={"url": "http://10.0.0.1/"}, headers=owner.headers
    )
    assert moved.status_code == 400
    assert (await client.get(f"{HOOKS}/{hook['id']}", headers=owner.headers)).json()["url"] == PUBLIC_URL
    for events in (["job.progress"], [], ["no.such.event"]):
        bad = await client.post(HOOKS, json={"url": PUBLIC_URL, "events": events}, headers=owner.headers)
        assert bad.status_code == 422, events
    member = await api.add_member(owner, org, "member")
    assert (await client.get(HOOKS, headers=member.headers)).status_code == 403
    assert (await client.get(f"{HOOKS}/{hook['id']}", headers=member.headers)).status_code == 403


async def test_register_changes_by_people_are_delivered_filtered(api: Api, client: httpx.AsyncClient) -> None:
    owner = await api.user("changes")
    await api.org(owner, "Changes")
    project = await api.project(owner)
    events = ("action_item.created", "action_item.updated", "risk.created")
    hook = await webhook(client, owner, PUBLIC_URL, *events, filters={"min_severity": "high"})

    async def item(**fields: Any) -> dict[str, Any]:
        response = await client.post(
            "/api/v1/register-items", json={"project_id": project, **fields}, headers=owner.headers
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    action = await item(kind="action", text="Book the venue", owner="Ann")
    await item(kind="risk", text="A typo in the appendix", severity="low")
    risk = await item(kind="risk", text="The data centre move slips", severity="high")
    edited = await client.patch(
        f"/api/v1/register-items/{action['id']}", json={"due_date": "2026-12-01"}, headers=owner.headers
    )
    assert edited.status_code == 200, edited.text

    payloads = [d["payload"] for d in reversed(await log(client, owner, hook["id"]))]
    assert [(p["type"], p["data"]["item"]["id"]) for p in payloads] == [
        ("action_item.created", action["id"]),
        ("risk.created", risk["id"]),
        ("action_item.updated", action["id"]),
    ]
    assert payloads[2]["data"]["changes"] == {"due_date": [None, "2026-12-01"]}
    assert payloads[2]["data"]["source"] == "user"
    assert payloads[2]["data"]["item"]["due_date"] == "2026-12-01"


async def test_a_later_document_that_moves_a_task_sends_an_update(backend: str, tmp_root: Path) -> None:
    receiver = Receiver()
    async with (
        receiving(receiver) as target,
        fresh_database(backend, tmp_root) as url,
        running(url, tmp_root) as app,
        client_for(app) as client,
    ):
        api = Api(client)
        owner = await api.user("moved")
        await api.org(owner, "Falcon")
        project = await api.project(owner, "Falcon")
        hook = await webhook(client, owner, target, "action_item.created", "action_item.updated")
        for count, week in enumerate((1, 2), start=1):
            name = f"falcon-minutes-week{week}.md"
            await api.uploaded(owner, project, name, (REGISTERS / name).read_bytes())
            await wait_settled(client, owner, count)
        deliveries = await settled(client, owner, hook["id"], 1)
    sent = [r.event for r in receiver.requests]
    assert len(sent) == len(deliveries)
    created = [e["data"]["item"]["text"].lower() for e in sent if e["type"] == "action_item.created"]
    assert len([text for text in created if "shortlist" in text]) == 1, "week 2 mentions the same task"
    updates = [e["data"] for e in sent if e["type"] == "action_item.updated"]
    [moved] = [u for u in updates if "shortlist" in u["item"]["text"].lower()]
    assert moved["changes"]["due_date"] == ["2026-10-09", "2026-10-16"]
    assert (moved["source"], moved["item"]["due_date"]) == ("document", "2026-10-16")


async def test_another_organisation_cannot_see_or_redeliver(api: Api, client: httpx.AsyncClient) -> None:
    alice, bob = await api.user("alice"), await api.user("bob")
    await api.org(alice, "Alice Org")
    await api.org(bob, "Bob Org")
    hook = await webhook(client, alice, PUBLIC_URL, "document.processed")
    ping = (await client.post(f"{HOOKS}/{hook['id']}/test", headers=alice.headers)).json()
    path = f"{HOOKS}/{hook['id']}"
    for method, url in [
        ("GET", path),
        ("PATCH", path),
        ("DELETE", path),
        ("GET", f"{path}/deliveries"),
        ("POST", f"{path}/test"),
        ("POST", f"{path}/deliveries/{ping['id']}/redeliver"),
    ]:
        response = await client.request(
            method, url, json={} if method != "GET" else None, headers=bob.headers
        )
        assert response.status_code == 404, (method, url, response.text)
    mine = await webhook(client, bob, PUBLIC_URL, "document.processed")
    crossed = f"{HOOKS}/{mine['id']}/deliveries/{ping['id']}/redeliver"
    assert (await client.post(crossed, headers=bob.headers)).status_code == 404
    assert [h["id"] for h in (await client.get(HOOKS, headers=bob.headers)).json()] == [mine["id"]]
    assert [d["id"] for d in await log(client, alice, hook["id"])] == [ping["id"]]
