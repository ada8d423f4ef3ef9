"""The organisation's own language model over the server default. Its API key is write-only: the page
only ever says whether one is stored."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.auth.permissions import Permission
from pmdi.core.deps import SessionDep, StateDep
from pmdi.llm import org_settings
from pmdi.llm.schemas import OrgLLMIn
from pmdi.web.deps import EditorDep, ViewerDep, render
from pmdi.web.forms import parse_form

router = APIRouter()
LLM = "/settings/llm"
PROVIDERS = get_args(OrgLLMIn.model_fields["provider"].annotation)
Short = Annotated[str, Form(max_length=40)]
Long = Annotated[str, Form(max_length=500)]


def _saved() -> RedirectResponse:
    return RedirectResponse(LLM, status_code=status.HTTP_303_SEE_OTHER)


@router.get(LLM, response_class=HTMLResponse)
async def llm_page(request: Request, viewer: ViewerDep, session: SessionDep, state: StateDep) -> Response:
    ctx = viewer.require(Permission.ORG_UPDATE)
    current = await org_settings.get_org_llm(session, state.settings, ctx)
    return render(request, "settings_llm.html", viewer, llm=current, providers=PROVIDERS)


@router.post(LLM, response_class=HTMLResponse)
async def save_llm(
    viewer: EditorDep,
    session: SessionDep,
    state: StateDep,
    provider: Short,
    model: Annotated[str, Form(max_length=200)],
    enabled: Annotated[bool, Form()] = False,
    base_url: Long = "",
    region: Short = "",
    api_key: Long = "",
    clear_api_key: Annotated[bool, Form()] = False,
    monthly_budget_usd: Short = "",
) -> Response:
    """An unticked box is absent from the post, hence the False defaults; a blank key keeps the stored one."""
    ctx = viewer.require(Permission.ORG_UPDATE)
    fields = {
        "enabled": enabled,
        "provider": provider,
        "model": model.strip(),
        "base_url": base_url.strip(),
        "region": region.strip(),
        "api_key": api_key,
        "clear_api_key": clear_api_key,
        "monthly_budget_usd": monthly_budget_usd.strip(),
    }
    await org_settings.put_org_llm(session, state.settings, ctx, parse_form(OrgLLMIn, fields))
    return _saved()


@router.post(LLM + "/reset", response_class=HTMLResponse)
async def reset_llm(viewer: EditorDep, session: SessionDep) -> Response:
    await org_settings.delete_org_llm(session, viewer.require(Permission.ORG_UPDATE))
    return _saved()
