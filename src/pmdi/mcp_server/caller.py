"""Who an MCP request acts as, and the unit of work each tool call or resource read runs in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.api_keys import service as api_keys_service
from pmdi.api_keys.service import KEY_PREFIX
from pmdi.auth.deps import context_for
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.db import unit_of_work
from pmdi.core.errors import Forbidden, NotAuthenticated, NotFound, PmdiError
from pmdi.core.state import AppState


@dataclass(frozen=True)
class McpRuntime:
    """What the server's lifespan hands every handler."""

    state: AppState
    api_key: str | None = None  # stdio: the process's one key; HTTP: None, each request brings its own


@dataclass(frozen=True)
class Call:
    session: AsyncSession
    state: AppState
    ctx: OrgContext


_REQUEST: ContextVar[ServerRequestContext[McpRuntime, Any] | None] = ContextVar(
    "pmdi_mcp_request", default=None
)


async def remember_request(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware keeping the request at hand: the SDK injects no context into static resources."""
    token = _REQUEST.set(ctx)
    try:
        return await call_next(ctx)
    finally:
        _REQUEST.reset(token)


def bearer_key(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(KEY_PREFIX):
        raise NotAuthenticated("Send an API key: 'Authorization: Bearer pmdi_...'.")
    return key


async def key_context(session: AsyncSession, key: str) -> OrgContext:
    """The key's organisation, with the key's role capped at its creator's current one (as in the API)."""
    principal = await api_keys_service.authenticate(session, key)
    return await context_for(session, principal, None)


def _caller_key(request: ServerRequestContext[McpRuntime, Any]) -> str:
    runtime = request.lifespan_context
    if runtime.api_key is not None:
        return runtime.api_key
    headers: Mapping[str, str] | None = getattr(request.request, "headers", None)
    return bearer_key((headers or {}).get("authorization"))


def tool_error(exc: PmdiError) -> Exception:
    return ToolError(f"{exc.code}: {exc.detail}")


def resource_error(exc: PmdiError) -> Exception:
    kind = ResourceNotFoundError if isinstance(exc, NotFound) else ResourceError
    return kind(f"{exc.code}: {exc.detail}")


@asynccontextmanager
async def authorized(
    permission: Permission, failure: Callable[[PmdiError], Exception] = tool_error
) -> AsyncIterator[Call]:
    """One unit of work (one commit, side effects after it) as the caller's organisation, `permission`
    checked as the API checks it; a domain error becomes an MCP error carrying its message."""
    request = _REQUEST.get()
    if request is None:
        raise RuntimeError("an MCP handler ran outside of a request")
    state = request.lifespan_context.state
    try:
        key = _caller_key(request)
        async with unit_of_work(state.sessionmaker) as session:
            ctx = await key_context(session, key)
            if not ctx.can(permission):
                raise Forbidden(f"Your role '{ctx.role}' does not allow '{permission}'.")
            yield Call(session, state, ctx)
    except PmdiError as exc:
        raise failure(exc) from exc
