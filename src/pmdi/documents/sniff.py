"""Media type from the bytes, never from the name. The name only refines plain-text kinds (csv, md)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from pmdi.documents.errors import UnsupportedFileType
from pmdi.documents.filenames import extension

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PNG, JPEG, TIFF = "image/png", "image/jpeg", "image/tiff"
CSV, MARKDOWN, PLAIN, HTML, EML = "text/csv", "text/markdown", "text/plain", "text/html", "message/rfc822"

ALLOWED_MEDIA_TYPES = frozenset({PDF, DOCX, XLSX, PPTX, PNG, JPEG, TIFF, CSV, MARKDOWN, PLAIN, HTML, EML})

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
]
_REFUSED: list[tuple[bytes, str]] = [
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"#!", "a script"),
    (b"\xd0\xcf\x11\xe0", "a legacy or password-protected Office file (save it as DOCX, XLSX or PPTX)"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
]
_OOXML_PARTS = [("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX)]
_EMAIL_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "mime-version", "received", "reply-to"}
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.I | re.S)
SNIFF_BYTES = 64 * 1024


def sniff(path: Path, filename: str) -> str:
    """Return an allowed media type for the file at `path`, or raise UnsupportedFileType saying why."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if b"%PDF-" in head[:1024]:
        return PDF
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_type(path)
    for magic, what in _REFUSED:
        if head.startswith(magic):
            raise UnsupportedFileType(f"'{filename}' is {what}, which is not an accepted document type.")
    text = _as_text(head)
    if text is None:
        raise UnsupportedFileType(f"'{filename}' is not a recognised document format.")
    return _text_kind(text, head, extension(filename))


def _ooxml_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsupportedFileType(
            "The file looks like an Office document but its archive is corrupt."
        ) from exc
    for part, media_type in _OOXML_PARTS:
        if part in names:
            return media_type
    raise UnsupportedFileType("ZIP archives are not accepted; upload DOCX, XLSX or PPTX files instead.")


def _as_text(head: bytes) -> str | None:
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed window is still UTF-8.
        text = (
            head[: exc.start].decode("utf-8")
            if exc.start >= len(head) - 3
            else head.decode("cp1252", "replace")
        )
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return text if controls <= max(2, len(text) // 200) else None


def _text_kind(text: str, head: bytes, ext: str) -> str:
    if _HTML_START.match(head) or (ext in {"html", "htm"} and "<" in text):
        return HTML
    if _looks_like_email(text):
        return EML
    if ext == "csv":
        return CSV
    if ext in {"md", "markdown"}:
        return MARKDOWN
    return PLAIN


def _looks_like_email(text: str) -> bool:
    seen: set[str] = set()
    for line in text.splitlines()[:60]:
        if not line.strip():
            break
        match = _HEADER_LINE.match(line)
        if match:
            seen.add(match.group(1).lower())
        elif not line[:1].isspace():
            return False
    return len(seen & _EMAIL_HEADERS) >= 2 and bool(seen & {"from", "subject"})
