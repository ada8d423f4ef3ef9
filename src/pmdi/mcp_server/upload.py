"""A base64 file from a tool call as the multipart body the upload service reads, so an MCP upload takes the
very path of an HTTP one: streamed size limit, hashing, type sniffing, duplicate detection."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import AsyncIterator

from pmdi.documents.errors import FileTooLarge, MalformedUpload
from pmdi.documents.filenames import sanitize_filename

_SLICE = 1024 * 1024


def decode(content_base64: str, max_bytes: int) -> bytes:
    # Refused before decoding, so an oversized payload is never held twice.
    if len(content_base64) > (max_bytes + 2) // 3 * 4 + 4:
        raise FileTooLarge(f"The file is larger than the {max_bytes / (1024 * 1024):g} MB upload limit.")
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedUpload("content_base64 is not valid base64.") from exc


def multipart(filename: str, content: bytes) -> tuple[str, bytes]:
    """The content type and body of a one-file form; the name is checked first so that no character of it
    can break out of its header."""
    sanitize_filename(filename)
    boundary = "pmdi-mcp-" + secrets.token_hex(16)
    quoted = filename.replace('"', '\\"')
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{quoted}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), _SLICE):
        yield body[start : start + _SLICE]
