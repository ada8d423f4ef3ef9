from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from pmdi.auth.deps import Scoped, authorize, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep, StateDep
from pmdi.mailboxes import service
from pmdi.mailboxes.deps import load_mailbox
from pmdi.mailboxes.models import Mailbox
from pmdi.mailboxes.schemas import MailboxIn, MailboxOut, MailboxUpdate

router = APIRouter(prefix="/mailboxes", tags=["mailboxes"])

ManageMail = Annotated[OrgContext, Depends(authorize(Permission.ORG_UPDATE))]
ManagedMailbox = Annotated[Scoped[Mailbox], Depends(authorize_resource(Permission.ORG_UPDATE, load_mailbox))]


@router.post("", response_model=MailboxOut, status_code=status.HTTP_201_CREATED)
async def create_mailbox(data: MailboxIn, ctx: ManageMail, session: SessionDep, state: StateDep) -> object:
    """Checks that the server is reachable and the login works before saving."""
    return await service.create_mailbox(session, state.settings, ctx, data)


@router.get("", response_model=list[MailboxOut])
async def list_mailboxes(ctx: ManageMail, session: SessionDep) -> object:
    return await service.list_mailboxes(session, ctx)


@router.get("/{mailbox_id}", response_model=MailboxOut)
async def get_mailbox(mailbox: ManagedMailbox) -> object:
    return mailbox.obj


@router.patch("/{mailbox_id}", response_model=MailboxOut)
async def update_mailbox(
    data: MailboxUpdate, mailbox: ManagedMailbox, session: SessionDep, state: StateDep
) -> object:
    return await service.update_mailbox(session, state.settings, mailbox.ctx, mailbox.obj, data)


@router.delete("/{mailbox_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_mailbox(mailbox: ManagedMailbox, session: SessionDep) -> Response:
    await service.delete_mailbox(session, mailbox.ctx, mailbox.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{mailbox_id}/poll", response_model=MailboxOut, status_code=status.HTTP_202_ACCEPTED)
async def poll_mailbox(mailbox: ManagedMailbox, session: SessionDep) -> object:
    """Polled by the worker within a few seconds, whatever the interval."""
    return await service.request_poll(session, mailbox.ctx, mailbox.obj)
