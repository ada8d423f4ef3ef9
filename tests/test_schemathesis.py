"""Every API operation, fed inputs generated from the app's OpenAPI schema, answers without a server error.

Schemathesis generates the cases; they are sent through the same in-process httpx client as every other test
so the app keeps running on the session's event loop and database (schemathesis's own ASGI transport would
drive the app from a second event loop, which the PostgreSQL pool cannot share). Hypothesis runs in a worker
thread and hands each request back to the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
import httpx
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation

from tests.helpers import Api, text_file

EXAMPLES_PER_OPERATION = 10

# The WebSocket at /api/v1/ws is not an OpenAPI operation, so schemathesis never sees it.
SKIPPED = {
    # An endless server-sent event stream: a request never completes. tests/test_realtime.py covers it.
    ("GET", "/api/v1/events"),
}

# Operations that end the fixture user's session run after everything else, so the rest stay authenticated.
LAST = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/auth/session")}

Send = Callable[[dict[str, Any]], httpx.Response]
Operation = APIOperation[Any, Any, Any, Any]


@dataclass
class Owner:
    headers: dict[str, str]
    ids: dict[str, str]


@pytest.fixture
async def owner(api: Api) -> Owner:
    user = await api.user("fuzz")
    org_id = await api.org(user)
    project_id = await api.project(user)
    document = await api.uploaded(user, project_id, "notes.txt", text_file())
    ids = {"org_id": org_id, "project_id": project_id, "document_id": document["id"], "user_id": user.id}
    # Generated POST /orgs cases make the user a member of many organisations: name the fixture's one.
    return Owner({**user.headers, "X-Org-Id": org_id}, ids)


def _order(operation: Operation) -> int:
    key = (operation.method.upper(), operation.path)
    if key in LAST:
        return 2
    return 1 if operation.method.upper() == "DELETE" else 0


def _operations(app: FastAPI) -> list[Operation]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation schemathesis cannot read is a broken schema, not a skip
        operations.append(result.ok())
    kept = [op for op in operations if (op.method.upper(), op.path) not in SKIPPED]
    return sorted(kept, key=_order)


def _prepare(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Let requests encode the case (JSON, form, multipart) as schemathesis meant; httpx sends the bytes."""
    fields = ("method", "url", "headers", "files", "data", "params", "cookies", "json")
    prepared = requests.Request(**{name: kwargs[name] for name in fields if name in kwargs}).prepare()
    return {
        "method": prepared.method,
        "url": prepared.url,
        "headers": dict(prepared.headers),
        "content": prepared.body,
    }


def _exercise(operation: Operation, owner: Owner, send: Send) -> str | None:
    """Return why the operation failed, or None when no generated case got a server error."""
    known = [name for name in re.findall(r"{(\w+)}", operation.path) if name in owner.ids]

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), use_real_ids=st.booleans())
    def check(case: Any, use_real_ids: bool) -> None:
        # Random ids only reach the 404 path; the fixture's real ids take generated bodies to the database.
        if use_real_ids:
            for name in known:
                case.path_parameters[name] = owner.ids[name]
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=owner.headers)
        reproduce = case.as_curl_command(headers=owner.headers)
        try:
            response = send(_prepare(kwargs))
        except Exception as exc:  # the in-process transport re-raises the app's crash
            raise AssertionError(f"crash {exc!r:.600} for {reproduce}") from None
        assert response.status_code < 500, f"{response.status_code} for {reproduce}\n{response.text[:800]}"

    try:
        check()
    except Exception as exc:  # every failure is collected and reported together below
        return f"{operation.label}: {str(exc)[:1500]}"
    return None


async def test_no_api_operation_answers_with_a_server_error(
    app: FastAPI, client: httpx.AsyncClient, owner: Owner
) -> None:
    async def request(kwargs: dict[str, Any]) -> httpx.Response:
        return await client.request(**kwargs)

    def send(kwargs: dict[str, Any]) -> httpx.Response:
        return anyio.from_thread.run(request, kwargs)

    operations = _operations(app)
    assert len(operations) > 50, "the schema lost its operations"
    failures = []
    for operation in operations:
        failure = await anyio.to_thread.run_sync(partial(_exercise, operation, owner, send))
        if failure:
            failures.append(failure)
    assert not failures, "\n\n".join(failures)
