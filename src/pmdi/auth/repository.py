"""Account-level tables (users, login sessions): these belong to people, not to an organisation."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.models import AuthSession, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == email.lower()))
        return result.scalar_one_or_none()

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user


class AuthSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_with_user(self, session_id: uuid.UUID) -> tuple[AuthSession, User] | None:
        stmt = select(AuthSession, User).join(User, User.id == AuthSession.user_id)
        row = (await self.session.execute(stmt.where(AuthSession.id == session_id))).first()
        return (row[0], row[1]) if row else None

    async def get_by_token_hash(self, token_hash: str) -> tuple[AuthSession, User] | None:
        stmt = select(AuthSession, User).join(User, User.id == AuthSession.user_id)
        row = (await self.session.execute(stmt.where(AuthSession.token_hash == token_hash))).first()
        return (row[0], row[1]) if row else None

    async def add(self, auth_session: AuthSession) -> AuthSession:
        self.session.add(auth_session)
        await self.session.flush()
        return auth_session
