"""The IMAP conversation, blocking (stdlib imaplib), run in a worker thread: fetch what arrived after the
last UID seen, then flag or move what was stored. BODY.PEEK leaves messages unread until they are stored."""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from pmdi.mailboxes.errors import MailboxUnreachable

_UID = re.compile(rb"UID (\d+)")


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: str  # "ssl", "starttls" or "none"
    username: str
    password: str
    folder: str
    timeout: float = 30.0


@dataclass
class Fetched:
    uid_validity: int
    messages: list[tuple[int, bytes]] = field(default_factory=list)  # (uid, RFC 822 bytes), oldest first


def _connect(account: ImapAccount) -> imaplib.IMAP4:
    if account.security == "ssl":
        return imaplib.IMAP4_SSL(account.host, account.port, timeout=account.timeout)
    client = imaplib.IMAP4(account.host, account.port, timeout=account.timeout)
    if account.security == "starttls":
        client.starttls(ssl.create_default_context())
    return client


@contextmanager
def session(account: ImapAccount) -> Iterator[imaplib.IMAP4]:
    """Logged in with the folder selected; every failure becomes one clear MailboxUnreachable."""
    try:
        client = _connect(account)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxUnreachable(f"Cannot connect to {account.host}:{account.port}: {exc}") from exc
    try:
        client.login(account.username, account.password)
        status, _ = client.select(_quoted(account.folder))
        if status != "OK":
            raise MailboxUnreachable(f"The folder '{account.folder}' does not exist.")
        yield client
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxUnreachable(f"IMAP error on {account.host}: {exc}") from exc
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            client.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_after(account: ImapAccount, last_uid: int, uid_validity: int | None, limit: int) -> Fetched:
    """Messages with a UID above `last_uid` (all of them again if the folder's UIDVALIDITY changed)."""
    with session(account) as client:
        validity = int((client.response("UIDVALIDITY")[1] or [b"0"])[0] or 0)
        start = last_uid + 1 if uid_validity in (None, validity) else 1
        status, data = client.uid("SEARCH", f"UID {start}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) >= start) if status == "OK" else []
        fetched = Fetched(validity)
        for uid in uids[:limit]:
            status, parts = client.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
            body = next((p[1] for p in parts if isinstance(p, tuple) and _UID.search(p[0])), None)
            if status == "OK" and body is not None:
                fetched.messages.append((uid, bytes(body)))
        return fetched


def finish(account: ImapAccount, uids: list[int], move_to: str | None) -> None:
    """Marks stored messages read, or moves them to another folder."""
    if not uids:
        return
    with session(account) as client:
        numbers = ",".join(str(u) for u in uids)
        if move_to:
            client.uid("MOVE", numbers, _quoted(move_to))
        else:
            client.uid("STORE", numbers, "+FLAGS", "(\\Seen)")


def check(account: ImapAccount) -> None:
    """Logs in and selects the folder, so a wrong password or folder is reported when the mailbox is saved."""
    with session(account):
        pass
