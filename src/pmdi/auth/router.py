from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from pmdi.auth import service
from pmdi.auth.deps import SESSION_COOKIE, PrincipalDep, set_session_cookie
from pmdi.auth.schemas import CookieSessionOut, LoginIn, MeOut, RefreshIn, RegisterIn, TokenPair, UserOut
from pmdi.core.deps import SessionDep, StateDep, client_ip

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
async def register(data: RegisterIn, request: Request, session: SessionDep, state: StateDep) -> object:
    return await service.register(session, state, data, client_ip(request))


@router.post("/login", response_model=TokenPair)
async def login(data: LoginIn, request: Request, session: SessionDep, state: StateDep) -> TokenPair:
    ua = request.headers.get("user-agent")
    return await service.login_tokens(session, state, str(data.email), data.password, client_ip(request), ua)


@router.post("/refresh", response_model=TokenPair)
async def refresh(data: RefreshIn, session: SessionDep, state: StateDep) -> TokenPair:
    return await service.refresh_tokens(session, state, data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: PrincipalDep, session: SessionDep) -> Response:
    await service.logout(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/session", response_model=CookieSessionOut)
async def cookie_login(
    data: LoginIn, request: Request, response: Response, session: SessionDep, state: StateDep
) -> CookieSessionOut:
    ua = request.headers.get("user-agent")
    user, cookie, csrf = await service.login_cookie(
        session, state, str(data.email), data.password, client_ip(request), ua
    )
    set_session_cookie(response, cookie, state.settings)
    return CookieSessionOut(user=UserOut.model_validate(user), csrf_token=csrf)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def cookie_logout(principal: PrincipalDep, session: SessionDep) -> Response:
    await service.logout(session, principal)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
async def me(principal: PrincipalDep, session: SessionDep) -> MeOut:
    return await service.describe_me(session, principal)
