"""Authentication and authorisation dependencies: the only place a request gains an identity and a role.

Resource routes resolve the resource inside the caller's organisation *before* checking the permission,
so a resource of another organisation is always a 404, whatever the caller's role.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from pmdi.api_keys import service as api_keys_service
from pmdi.api_keys.service import KEY_PREFIX
from pmdi.auth import service as auth_service
from pmdi.auth.errors import CsrfFailed, InvalidToken
from pmdi.auth.permissions import Permission, Role
from pmdi.auth.principal import OrgContext, Principal
from pmdi.auth.secrets import constant_time_equals, parse_uuid, sha256_hex
from pmdi.config import Settings
from pmdi.core.deps import SessionDep, StateDep, client_ip
from pmdi.core.errors import Forbidden, NotAuthenticated, PmdiError
from pmdi.core.state import AppState
from pmdi.limits import service as limits
from pmdi.observability.context import bind_identity
from pmdi.organizations.errors import NoOrganization, OrganizationNotFound, OrganizationRequired
from pmdi.organizations.repository import UserMemberships

SESSION_COOKIE = "pmdi_session"
CSRF_HEADER = "X-CSRF-Token"
ORG_HEADER = "X-Org-Id"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def authenticate(
    connection: HTTPConnection, state: AppState, session: AsyncSession, *, unsafe: bool
) -> Principal:
    """Bearer token or API key from the header (or `access_token` query, for WebSockets), else the cookie."""
    authorization = connection.headers.get("authorization")
    token = connection.query_params.get("access_token") if connection.scope["type"] == "websocket" else None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Use 'Authorization: Bearer <token or API key>'.")
    if token:
        credential = token.strip()
        return await state.principals.remember(
            sha256_hex(credential), lambda: _by_token(state, session, credential), _expiry
        )
    cookie = connection.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated()
    principal = await state.principals.remember(
        sha256_hex(cookie), lambda: auth_service.authenticate_cookie(session, cookie), _expiry
    )
    if unsafe:
        expected = auth_service.csrf_token_for(state, principal.auth_session_id or uuid.uuid4())
        if not constant_time_equals(connection.headers.get(CSRF_HEADER, ""), expected):
            raise CsrfFailed()
    return principal


async def _by_token(state: AppState, session: AsyncSession, token: str) -> Principal:
    if token.startswith(KEY_PREFIX):
        return await api_keys_service.authenticate(session, token)
    return await auth_service.authenticate_access_token(session, state, token)


def _expiry(principal: Principal) -> datetime | None:
    return principal.expires_at


def has_credentials(connection: HTTPConnection) -> bool:
    return bool(connection.headers.get("authorization") or connection.cookies.get(SESSION_COOKIE))


async def get_principal(request: Request, state: StateDep, session: SessionDep) -> Principal:
    """Also the per-user rate limit; a request whose credentials fail counts against its address."""
    try:
        principal = await authenticate(request, state, session, unsafe=request.method not in SAFE_METHODS)
    except PmdiError:
        if has_credentials(request):  # without any, the API router's `limit_anonymous` counted it already
            await limits.limit_address(state, client_ip(request))
        raise
    await limits.limit_principal(state, principal)
    bind_identity(principal.user_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def set_session_cookie(response: Response, cookie: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.auth.session_ttl_seconds,
        httponly=True,
        secure=settings.auth.cookie_secure,
        samesite="lax",
        path="/",
    )


async def context_for(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID | None, state: AppState | None = None
) -> OrgContext:
    async def resolve() -> tuple[uuid.UUID, Role]:
        resolved = await _resolve_context(session, principal, org_id)
        return resolved.organization_id, resolved.role

    if state is None:  # the MCP server re-reads an API key's grant on every call
        found = await resolve()
    else:
        key = (principal.user_id, principal.api_key, org_id)
        found = await state.contexts.remember(key, resolve, lambda _: principal.expires_at)
    ctx = OrgContext(principal, *found)
    bind_identity(ctx.user_id, ctx.organization_id)  # for the request's log lines
    return ctx


async def _resolve_context(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID | None
) -> OrgContext:
    memberships = UserMemberships(session, principal.user_id)
    if principal.api_key is not None:
        if org_id is not None and org_id != principal.api_key.organization_id:
            raise OrganizationNotFound()
        role = await memberships.role_in(principal.api_key.organization_id)
        if role is None:
            raise InvalidToken("The API key's owner is no longer a member of its organisation.")
        capped = Role(principal.api_key.role).at_most(role)
        return OrgContext(principal, principal.api_key.organization_id, capped)
    if org_id is None:
        mine = await memberships.all()
        if not mine:
            raise NoOrganization()
        if len(mine) > 1:
            raise OrganizationRequired()
        return OrgContext(principal, mine[0][0].organization_id, Role(mine[0][0].role))
    role = await memberships.role_in(org_id)
    if role is None:
        raise OrganizationNotFound()
    return OrgContext(principal, org_id, role)


async def get_org_context(
    session: SessionDep,
    state: StateDep,
    principal: PrincipalDep,
    x_org_id: Annotated[str | None, Header(alias=ORG_HEADER)] = None,
) -> OrgContext:
    org_id = None
    if x_org_id:
        org_id = parse_uuid(x_org_id)
        if org_id is None:
            raise OrganizationNotFound()
    return await context_for(session, principal, org_id, state)


async def get_path_org_context(
    session: SessionDep, state: StateDep, principal: PrincipalDep, org_id: uuid.UUID
) -> OrgContext:
    return await context_for(session, principal, org_id, state)


OrgContextDep = Annotated[OrgContext, Depends(get_org_context)]
PathOrgContextDep = Annotated[OrgContext, Depends(get_path_org_context)]


def _check(ctx: OrgContext, permission: Permission) -> OrgContext:
    if not ctx.can(permission):
        raise Forbidden(f"Your role '{ctx.role}' does not allow '{permission}'.")
    return ctx


def authorize(permission: Permission) -> Callable[..., Awaitable[OrgContext]]:
    async def dependency(ctx: OrgContextDep) -> OrgContext:
        return _check(ctx, permission)

    return dependency


def authorize_org(permission: Permission) -> Callable[..., Awaitable[OrgContext]]:
    """For `/orgs/{org_id}/...` routes, where the organisation is named in the path."""

    async def dependency(ctx: PathOrgContextDep) -> OrgContext:
        return _check(ctx, permission)

    return dependency


T = TypeVar("T")


@dataclass(frozen=True)
class Scoped(Generic[T]):
    """A resource loaded inside the caller's organisation, with the context that authorised it."""

    ctx: OrgContext
    obj: T


def authorize_resource(
    permission: Permission,
    loader: Callable[..., Awaitable[T]],
    context: Callable[..., Awaitable[OrgContext]] = get_org_context,
) -> Callable[..., Awaitable[Scoped[T]]]:
    """Load first (404 outside the organisation), then check the permission (403)."""

    async def dependency(
        ctx: Annotated[OrgContext, Depends(context)], obj: Annotated[Any, Depends(loader)]
    ) -> Scoped[T]:
        return Scoped(_check(ctx, permission), obj)

    return dependency
