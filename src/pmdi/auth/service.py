"""Accounts and logins: registration, password login, JWT pairs with rotation, cookie sessions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record
from pmdi.auth.errors import EmailAlreadyRegistered, InvalidCredentials, InvalidToken, LoginThrottled
from pmdi.auth.models import AuthSession, User
from pmdi.auth.permissions import Role
from pmdi.auth.principal import Person, Principal
from pmdi.auth.repository import AuthSessionRepository, UserRepository
from pmdi.auth.schemas import MembershipOut, MeOut, RegisterIn, TokenPair, UserOut
from pmdi.auth.secrets import decode_jwt, encode_jwt, hmac_hex, new_token, parse_uuid, sha256_hex
from pmdi.core.db import keep_on_error, utcnow
from pmdi.core.state import AppState
from pmdi.organizations.repository import UserMemberships

SESSION_KIND_TOKEN = "token"  # noqa: S105 - a session kind, not a secret
SESSION_KIND_COOKIE = "cookie"


async def register(session: AsyncSession, state: AppState, data: RegisterIn, ip: str) -> User:
    users = UserRepository(session)
    email = str(data.email).lower()
    if await users.get_by_email(email) is not None:
        raise EmailAlreadyRegistered()
    password_hash = await state.hasher.hash(data.password)
    try:
        user = await users.add(
            User(email=email, full_name=data.full_name.strip(), password_hash=password_hash)
        )
    except IntegrityError as exc:
        raise EmailAlreadyRegistered() from exc
    await record(session, "user.registered", actor_user_id=user.id, target=("user", user.id), ip=ip)
    return user


async def verify_password_login(
    session: AsyncSession, state: AppState, email: str, password: str, ip: str
) -> User:
    email = email.lower()
    wait = state.login_throttle.retry_after(email, ip)
    if wait is not None:
        raise LoginThrottled(headers={"Retry-After": str(wait)})
    user = await UserRepository(session).get_by_email(email)
    valid = await state.hasher.verify(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        state.login_throttle.record_failure(email, ip)
        raise InvalidCredentials()
    state.login_throttle.record_success(email, ip)
    return user


async def _open_session(
    session: AsyncSession, state: AppState, user: User, kind: str, ip: str, user_agent: str | None
) -> AuthSession:
    ttl = state.settings.auth.refresh_token_ttl_seconds
    if kind == SESSION_KIND_COOKIE:
        ttl = state.settings.auth.session_ttl_seconds
    auth_session = AuthSession(
        user_id=user.id,
        kind=kind,
        expires_at=utcnow() + timedelta(seconds=ttl),
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    await AuthSessionRepository(session).add(auth_session)
    await record(session, "user.login", actor_user_id=user.id, data={"kind": kind}, ip=ip)
    return auth_session


def _issue_pair(state: AppState, auth_session: AuthSession) -> TokenPair:
    secret = state.settings.secret_key()
    jti = new_token(16)
    auth_session.refresh_jti = jti
    claims = {"sub": str(auth_session.user_id), "sid": str(auth_session.id)}
    ttl = state.settings.auth.access_token_ttl_seconds
    return TokenPair(
        access_token=encode_jwt(secret, {**claims, "typ": "access"}, ttl),
        refresh_token=encode_jwt(
            secret, {**claims, "typ": "refresh", "jti": jti}, state.settings.auth.refresh_token_ttl_seconds
        ),
        expires_in=ttl,
    )


async def login_tokens(
    session: AsyncSession, state: AppState, email: str, password: str, ip: str, user_agent: str | None
) -> TokenPair:
    user = await verify_password_login(session, state, email, password, ip)
    auth_session = await _open_session(session, state, user, SESSION_KIND_TOKEN, ip, user_agent)
    pair = _issue_pair(state, auth_session)
    await session.flush()
    return pair


async def refresh_tokens(session: AsyncSession, state: AppState, refresh_token: str) -> TokenPair:
    """Rotate the refresh token. Presenting an already-rotated token revokes the whole login."""
    claims = decode_jwt(state.settings.secret_key(), refresh_token, "refresh")
    session_id = parse_uuid(claims["sid"]) if claims else None
    found = await AuthSessionRepository(session).get_with_user(session_id) if session_id else None
    if claims is None or found is None:
        raise InvalidToken()
    auth_session, user = found
    if auth_session.revoked_at is not None or auth_session.expires_at <= utcnow() or not user.is_active:
        raise InvalidToken()
    if claims.get("jti") != auth_session.refresh_jti:
        auth_session.revoked_at = utcnow()
        await record(
            session, "auth.refresh_reuse", actor_user_id=user.id, target=("session", auth_session.id)
        )
        keep_on_error(session)
        raise InvalidToken("This refresh token was already used; the login has been revoked.")
    pair = _issue_pair(state, auth_session)
    await session.flush()
    return pair


async def login_cookie(
    session: AsyncSession, state: AppState, email: str, password: str, ip: str, user_agent: str | None
) -> tuple[User, str, str]:
    """Returns the user, the opaque cookie value and the CSRF token bound to this session."""
    user = await verify_password_login(session, state, email, password, ip)
    auth_session = await _open_session(session, state, user, SESSION_KIND_COOKIE, ip, user_agent)
    cookie = new_token(32)
    auth_session.token_hash = sha256_hex(cookie)
    await session.flush()
    return user, cookie, csrf_token_for(state, auth_session.id)


def csrf_token_for(state: AppState, auth_session_id: uuid.UUID) -> str:
    return hmac_hex(state.settings.secret_key(), f"csrf:{auth_session_id}")


async def logout(session: AsyncSession, principal: Principal) -> None:
    if principal.auth_session_id is None:
        return
    found = await AuthSessionRepository(session).get_with_user(principal.auth_session_id)
    if found is not None and found[0].revoked_at is None:
        found[0].revoked_at = utcnow()
        await record(session, "user.logout", actor_user_id=principal.user_id)
    await session.flush()


def _check_live(auth_session: AuthSession, user: User, not_after: datetime | None = None) -> Principal:
    if auth_session.revoked_at is not None or auth_session.expires_at <= utcnow() or not user.is_active:
        raise InvalidToken()
    return Principal(
        Person.of(user),
        auth_session_id=auth_session.id,
        via_cookie=auth_session.kind == "cookie",
        expires_at=min(auth_session.expires_at, not_after) if not_after else auth_session.expires_at,
    )


async def authenticate_access_token(session: AsyncSession, state: AppState, token: str) -> Principal:
    claims = decode_jwt(state.settings.secret_key(), token, "access")
    session_id = parse_uuid(claims["sid"]) if claims else None
    found = await AuthSessionRepository(session).get_with_user(session_id) if session_id else None
    if claims is None or found is None or found[0].kind != SESSION_KIND_TOKEN:
        raise InvalidToken()
    return _check_live(*found, not_after=datetime.fromtimestamp(claims["exp"], UTC))


async def authenticate_cookie(session: AsyncSession, cookie: str) -> Principal:
    found = await AuthSessionRepository(session).get_by_token_hash(sha256_hex(cookie))
    if found is None or found[0].kind != SESSION_KIND_COOKIE:
        raise InvalidToken("Your session has expired; please log in again.")
    return _check_live(*found)


async def describe_me(session: AsyncSession, principal: Principal) -> MeOut:
    rows = await UserMemberships(session, principal.user_id).all()
    return MeOut(
        **UserOut.model_validate(principal.user).model_dump(),
        memberships=[
            MembershipOut(organization_id=org.id, organization_name=org.name, role=Role(m.role))
            for m, org in rows
        ],
    )
