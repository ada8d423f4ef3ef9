"""Rate limits (per user or API key, per address when anonymous; memory and Redis) and upload quotas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from pmdi.app import create_app
from pmdi.config import LimitsSettings, QuotaSettings, Settings
from tests.cluster import REDIS_URL, require_redis
from tests.conftest import UNLIMITED_REQUESTS, client_for, make_settings
from tests.helpers import Api, User, text_file

# Long windows: a window boundary in the middle of a test would reset the counters and flake it. Address
# budgets in Redis outlive a test run, so only the in-memory tests make them small.
WINDOW = 3600


@asynccontextmanager
async def app_with(database_url: str, data_dir: Path, **changes: Any) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, data_dir).model_copy(update={"redis_url": REDIS_URL, **changes})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def settings_of(app: FastAPI) -> Settings:
    settings: Settings = app.state.pmdi.settings
    return settings


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        await require_redis()
    return str(request.param)


async def orgs(client: httpx.AsyncClient, user: User) -> httpx.Response:
    return await client.get("/api/v1/orgs", headers=user.headers)


def assert_too_many(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW
    body = response.json()
    assert body == {"error": "TooManyRequests", "detail": body["detail"], "retry_after": retry_after}
    assert f"retry in {retry_after} s" in body["detail"]
    return retry_after


async def test_a_user_over_the_limit_gets_429_and_other_users_do_not(
    database_url: str, tmp_path: Path, limiter: str
) -> None:
    limits = LimitsSettings(backend=limiter, per_user=3, per_ip=UNLIMITED_REQUESTS, window_seconds=WINDOW)
    async with app_with(database_url, tmp_path, limits=limits) as app, client_for(app) as client:
        api = Api(client)
        ann, bob = await api.user("ann"), await api.user("bob")
        for _ in range(3):
            assert (await orgs(client, ann)).status_code == 200
        assert_too_many(await orgs(client, ann))
        assert_too_many(await client.post("/api/v1/orgs", json={"name": "Late"}, headers=ann.headers))
        # Same address, another user: a budget of its own.
        assert (await orgs(client, bob)).status_code == 200
        # Probes, metrics and static files are never limited.
        for path in ("/healthz", "/metrics", "/static/app.css"):
            assert (await client.get(path, headers=ann.headers)).status_code == 200, path


async def test_an_api_key_has_its_own_budget(database_url: str, tmp_path: Path) -> None:
    limits = LimitsSettings(backend="memory", per_user=4, per_ip=UNLIMITED_REQUESTS, window_seconds=WINDOW)
    async with app_with(database_url, tmp_path, limits=limits) as app, client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        created = await client.post("/api/v1/api-keys", json={"name": "ci"}, headers=owner.headers)
        key = {"Authorization": f"Bearer {created.json()['key']}"}
        for _ in range(2):
            assert (await orgs(client, owner)).status_code == 200
        assert_too_many(await orgs(client, owner))
        for _ in range(4):
            assert (await client.get("/api/v1/projects", headers=key)).status_code == 200
        assert_too_many(await client.get("/api/v1/projects", headers=key))


async def test_anonymous_requests_are_limited_per_address(database_url: str, tmp_path: Path) -> None:
    limits = LimitsSettings(backend="memory", per_user=50, per_ip=3, window_seconds=WINDOW)
    async with app_with(database_url, tmp_path, limits=limits) as app:
        async with client_for(app, "10.0.0.1") as setup:
            user = await Api(setup).user()  # register + login: two of 10.0.0.1's three
        async with client_for(app, "10.0.0.2") as client:
            bogus = {"refresh_token": "not a token"}
            assert (await client.post("/api/v1/auth/refresh", json=bogus)).status_code == 401
            # Credentials that do not authenticate count against the address as well.
            forged = {"Authorization": "Bearer forged"}
            assert (await client.get("/api/v1/orgs", headers=forged)).status_code == 401
            assert (await client.get("/api/v1/calendar.ics", params={"token": "x" * 40})).status_code == 404
            assert_too_many(await client.post("/api/v1/auth/refresh", json=bogus))
            assert_too_many(await client.get("/api/v1/orgs", headers=forged))
            # A signed-in user behind the same address is counted as that user, not as the address.
            assert (await orgs(client, user)).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
        async with client_for(app, "10.0.0.3") as elsewhere:
            assert (await elsewhere.post("/api/v1/auth/refresh", json=bogus)).status_code == 401


async def test_limits_can_be_switched_off(database_url: str, tmp_path: Path) -> None:
    limits = LimitsSettings(enabled=False, per_user=1, per_ip=1)
    async with app_with(database_url, tmp_path, limits=limits) as app, client_for(app) as client:
        user = await Api(client).user()
        for _ in range(3):
            assert (await orgs(client, user)).status_code == 200


async def test_redis_counts_requests_across_api_processes(database_url: str, tmp_path: Path) -> None:
    await require_redis()
    limits = LimitsSettings(backend="redis", per_user=3, per_ip=UNLIMITED_REQUESTS, window_seconds=WINDOW)
    async with (
        app_with(database_url, tmp_path / "a", limits=limits) as first,
        app_with(database_url, tmp_path / "b", limits=limits) as second,
        client_for(first) as one,
        client_for(second) as two,
    ):
        user = await Api(one).user()
        assert (await orgs(one, user)).status_code == 200
        assert (await orgs(two, user)).status_code == 200
        assert (await orgs(one, user)).status_code == 200
        assert_too_many(await orgs(two, user))


async def test_redis_outage_lets_requests_through(database_url: str, tmp_path: Path) -> None:
    limits = LimitsSettings(backend="redis", per_user=1, per_ip=1)
    nowhere = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    async with (
        app_with(database_url, tmp_path, limits=limits, redis_url=nowhere) as app,
        client_for(app) as client,
    ):
        user = await Api(client).user()
        for _ in range(3):
            assert (await orgs(client, user)).status_code == 200


def stored_files(settings: Settings) -> set[Path]:
    roots = (settings.storage.local_root, settings.data_dir / "tmp")
    return {path for root in roots if root.exists() for path in root.rglob("*") if path.is_file()}


async def document_count(client: httpx.AsyncClient, user: User) -> int:
    total: int = (await client.get("/api/v1/documents", headers=user.headers)).json()["total"]
    return total


async def test_documents_per_month_quota_refuses_the_third_upload(database_url: str, tmp_path: Path) -> None:
    quotas = QuotaSettings(documents_per_month=2)
    async with app_with(database_url, tmp_path, quotas=quotas) as app, client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        first_content = text_file()
        await api.uploaded(owner, project, "a.txt", first_content)
        await api.uploaded(owner, project, "b.txt", text_file())
        files = stored_files(settings_of(app))

        refused = await api.upload(owner, project, ("c.txt", text_file()))
        assert refused.status_code == 402, refused.text
        body = refused.json()
        assert (body["error"], body["quota"], body["limit"], body["usage"]) == (
            "QuotaExceeded",
            "documents_per_month",
            2,
            2,
        )
        assert "2 documents per month" in body["detail"]
        assert stored_files(settings_of(app)) == files
        assert await document_count(client, owner) == 2
        # The same content again is no new document, so the quota does not apply to it.
        again = await api.upload(owner, project, ("a.txt", first_content))
        assert (again.status_code, again.json()["items"][0]["duplicate"]) == (200, True)

        # Quotas are per organisation.
        other = await api.user("other")
        await api.org(other)
        await api.uploaded(other, await api.project(other), "c.txt", text_file())


async def test_storage_quota_refuses_a_request_that_would_pass_it(database_url: str, tmp_path: Path) -> None:
    quotas = QuotaSettings(storage_bytes=100)
    async with app_with(database_url, tmp_path, quotas=quotas) as app, client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        await api.uploaded(owner, project, "sixty.txt", b"x" * 60)
        files = stored_files(settings_of(app))

        # The first file fits (90 bytes), the second does not: nothing of the request is kept.
        refused = await api.upload(owner, project, ("a.txt", b"a" * 30), ("b.txt", b"b" * 30))
        assert refused.status_code == 402, refused.text
        body = refused.json()
        assert (body["quota"], body["limit"], body["usage"]) == ("storage_bytes", 100, 90)
        assert "storage quota of 100 bytes" in body["detail"]
        assert stored_files(settings_of(app)) == files
        assert await document_count(client, owner) == 1
        await api.uploaded(owner, project, "forty.txt", b"y" * 40)
