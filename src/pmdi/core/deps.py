"""Request-level dependencies shared by every domain: app state and the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from pmdi.core.db import commit, rollback
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState


# Dependencies are `async def` even when they do not await: FastAPI runs plain functions in a thread pool,
# a thread hand-off per request that costs more than the function itself.
async def get_state(connection: HTTPConnection) -> AppState:
    state: AppState = connection.app.state.pmdi
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def _unit_of_work(state: StateDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent; side effects run after."""
    async with state.sessionmaker() as session:
        try:
            yield session
        except PmdiError:
            if session.info.get("commit_on_error"):
                await commit(session)
            else:
                await rollback(session)
            raise
        except BaseException:
            await rollback(session)
            raise
        await commit(session)


SessionDep = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]


def client_ip(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


@dataclass(frozen=True)
class Page:
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page_params)]
