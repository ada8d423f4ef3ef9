"""Splitting an email into the documents it becomes: the message itself (.eml, whose body and inline parts the
mail extractor reads) and each attachment as a document of its own."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

_UNSAFE = re.compile(r"[^\w .,()+@&'!#%=~-]+")


@dataclass(frozen=True)
class Rules:
    from_contains: str | None = None
    subject_contains: str | None = None
    attachments_only: bool = False


@dataclass
class Mail:
    subject: str
    sender: str
    message_id: str
    files: list[tuple[str, bytes]] = field(default_factory=list)  # (file name, content)


def _name(text: str, fallback: str) -> str:
    cleaned = _UNSAFE.sub(" ", text).strip(" .")[:120]
    return cleaned or fallback


def parse(raw: bytes, uid: int) -> Mail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    subject = str(message.get("Subject", "") or "")
    mail = Mail(subject, str(message.get("From", "") or ""), str(message.get("Message-ID", "") or ""))
    mail.files.append((f"{_name(subject, 'email')} ({uid}).eml", raw))
    for part in message.iter_attachments():
        content = part.get_payload(decode=True)
        if isinstance(content, bytes) and content:
            mail.files.append((_name(part.get_filename() or "", f"attachment-{uid}"), content))
    return mail


def wanted(mail: Mail, rules: Rules) -> list[tuple[str, bytes]]:
    """The files to store for this email under the mailbox's rules (none if the email does not match)."""
    if rules.from_contains and rules.from_contains.casefold() not in mail.sender.casefold():
        return []
    if rules.subject_contains and rules.subject_contains.casefold() not in mail.subject.casefold():
        return []
    return mail.files[1:] if rules.attachments_only else mail.files
