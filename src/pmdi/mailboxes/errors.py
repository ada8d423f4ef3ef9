from __future__ import annotations

from pmdi.core.errors import BadRequest, NotFound


class MailboxNotFound(NotFound):
    default_detail = "Mailbox not found."


class MailboxUnreachable(BadRequest):
    default_detail = "The mailbox could not be reached."
