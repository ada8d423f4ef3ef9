"""EML: the headers as blocks, the plain body (else the HTML one) with quoted replies marked, and each
attachment read one level deep onto pages of its own."""

from __future__ import annotations

import mimetypes
import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from pmdi.core.errors import PmdiError
from pmdi.documents.sniff import EML, sniff
from pmdi.extraction.base import ByMediaType, ExtractOptions, best_extractor, register
from pmdi.extraction.errors import CorruptDocument, ExtractionError, LimitExceeded
from pmdi.extraction.model import Attachment, BlockKind, ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.text import Chunk, decode_bytes, emit, finish, html_chunks, plain_chunks

HEADERS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"), ("subject", "Subject"))
MAX_ATTACHMENTS_READ = 20
MAX_ATTACHMENTS_LISTED = 200
# What the stdlib email package raises on malformed input, besides its own MessageError.
PARSE_ERRORS = (MessageError, ValueError, LookupError, TypeError, AttributeError, AssertionError)
_REPLY_HEADER = re.compile(
    r"^(?:On\b.{4,300}\bwrote|Am\b.{4,300}\bschrieb.{0,200}|Le\b.{4,300}\ba écrit)\s*:$"
)
_ORIGINAL_MESSAGE = re.compile(r"^\s*-{3,}\s*Original Message\s*-{3,}", re.I)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")  # Outlook's line above the quoted "From:" block
_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+")


@register
class MailExtractor(ByMediaType):
    name = "email"
    media_types = frozenset({EML})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        if path.stat().st_size > options.max_unzipped_bytes:
            raise LimitExceeded(f"The email is larger than {options.max_unzipped_bytes // 2**20} MB.")
        try:
            message = BytesParser(_class=EmailMessage, policy=policy.default).parsebytes(path.read_bytes())
        except (*PARSE_ERRORS, RecursionError) as exc:
            raise CorruptDocument("The email is malformed and cannot be parsed.") from exc
        return _MailRun(message, options).run()


class _MailRun:
    def __init__(self, message: EmailMessage, options: ExtractOptions) -> None:
        self.message, self.options = message, options
        self.metadata = Metadata()
        self.builder = TextBuilder(max_chars=options.max_chars)
        self.read_count = 0

    def run(self) -> ExtractedDocument:
        fields = {key: _header(self.message, key) for key, _ in HEADERS}
        if not any(fields.values()):
            raise CorruptDocument("This is not an email message: it has no From, To, Subject or Date header.")
        self.builder.start_page()
        for key, label in HEADERS:
            if fields[key]:
                self.builder.add(BlockKind.EMAIL_HEADER, f"{label}: {fields[key]}", meta={"field": key})
        self.metadata.email = {
            key: value
            for key, value in {**fields, "message_id": _header(self.message, "message-id")}.items()
            if value
        }
        self.metadata.title, self.metadata.author = fields["subject"] or None, fields["from"] or None
        self.metadata.created = _iso_date(fields["date"])
        body = self._body()
        for index, part in enumerate(_attachments(self.message, body)):
            if index == MAX_ATTACHMENTS_LISTED:
                self.metadata.warnings.append(
                    f"Only the first {MAX_ATTACHMENTS_LISTED} attachments are listed."
                )
                break
            self._attachment(part, index + 1)
        return finish(self.builder, self.metadata, self.options)

    def _body(self) -> MIMEPart | None:
        try:
            part = self.message.get_body(preferencelist=("plain", "html"))
            payload = part.get_payload(decode=True) if part is not None else None
        except PARSE_ERRORS:
            part, payload = None, None
        if part is None or not isinstance(payload, bytes):
            self.metadata.warnings.append("The email has no readable text body.")
            return part
        try:
            text = decode_bytes(payload, part.get_content_charset()).text
        except CorruptDocument:
            self.metadata.warnings.append("The email body is not text and was skipped.")
            return part
        if part.get_content_subtype() == "html":
            emit(self.builder, mark_quoted(html_chunks(text, self.metadata.warnings)[1]))
        else:
            emit(self.builder, body_chunks(text))
        return part

    def _attachment(self, part: MIMEPart, number: int) -> None:
        data, name = _payload(part), _filename(part, number)
        attachment = Attachment(filename=name, media_type=part.get_content_type(), size_bytes=len(data))
        self.metadata.attachments.append(attachment)
        inline_image = (
            part.get_content_maintype() == "image" and part.get_content_disposition() != "attachment"
        )
        if not data or inline_image or part.get_content_maintype() == "message":
            return  # empty, a logo in the signature, or a forwarded message (read one level deep only)
        if self.read_count == MAX_ATTACHMENTS_READ or self.builder.truncated:
            self.metadata.warnings.append(f"Attachment '{name}' was not read: too many attachments or text.")
            return
        self.read_count += 1
        try:
            document = self._read(data, attachment)
        except PmdiError as exc:
            self.metadata.warnings.append(f"Attachment '{name}' was not read: {exc.detail}")
        except ExtractionError as exc:
            self.metadata.warnings.append(f"Attachment '{name}' could not be read: {exc}")
        except Exception as exc:  # whatever a damaged attachment breaks, the email keeps its own text
            self.metadata.warnings.append(f"Attachment '{name}' could not be read ({type(exc).__name__}).")
        else:
            if document is not None:
                self._append(name, document)
                attachment.extracted = True

    def _read(self, data: bytes, attachment: Attachment) -> ExtractedDocument | None:
        used = self.builder.blocks[-1].end if self.builder.blocks else 0
        options = replace(
            self.options,
            filename=attachment.filename,
            max_chars=max(1, self.options.max_chars - used),
            max_pages=max(1, self.options.max_pages - len(self.builder.pages)),
        )
        with tempfile.TemporaryDirectory(prefix="pmdi-mail-") as folder:
            path = Path(folder) / _safe_name(attachment.filename)
            path.write_bytes(data)
            attachment.media_type = sniff(path, path.name)
            if attachment.media_type == EML:
                return None  # an attached email's own attachments would be a second level
            return best_extractor(path, attachment.media_type).extract(path, attachment.media_type, options)

    def _append(self, name: str, document: ExtractedDocument) -> None:
        blocks_by_page: dict[int, list[Chunk]] = {page.number: [] for page in document.pages}
        for block in document.blocks:
            chunk = Chunk(block.kind, block.text, block.level, block.rows, block.header, dict(block.meta))
            blocks_by_page.setdefault(block.page, []).append(chunk)
        for page in document.pages:
            label = f"Attachment: {name}" + (f", page {page.number}" if len(document.pages) > 1 else "")
            label += f" ({page.label})" if page.label else ""
            self.builder.start_page(label, ocr=page.ocr, confidence=page.ocr_confidence)
            emit(self.builder, blocks_by_page[page.number], attachment=name)
        found = document.metadata
        self.metadata.warnings.extend(f"Attachment '{name}': {warning}" for warning in found.warnings)
        self.metadata.ocr_used = self.metadata.ocr_used or found.ocr_used
        self.metadata.truncated = self.metadata.truncated or found.truncated


def body_chunks(text: str) -> list[Chunk]:
    """A plain-text body's blocks; quoted replies stay, marked {"quoted": True}."""
    chunks = []
    for quoted, lines in _segments(text.split("\n")):
        for chunk in plain_chunks("\n".join(lines)):
            if quoted:
                chunk.meta["quoted"] = True
            chunks.append(chunk)
    return chunks


def mark_quoted(chunks: list[Chunk]) -> list[Chunk]:
    """HTML bodies: blockquotes, and everything after a reply header, are the quoted earlier mail."""
    rest_quoted = False
    for chunk in chunks:
        rest_quoted = rest_quoted or bool(
            _REPLY_HEADER.match(chunk.text) or _ORIGINAL_MESSAGE.match(chunk.text)
        )
        if chunk.meta.pop("quote", False) or rest_quoted:
            chunk.meta["quoted"] = True
    return chunks


def _segments(lines: list[str]) -> Iterator[tuple[bool, list[str]]]:
    """Runs of lines that are all quoted or all new; quoted lines lose their ">" marks."""
    rest_quoted, current_quoted = False, False
    current: list[str] = []
    for index, line in enumerate(lines):
        rest_quoted = rest_quoted or _opens_original(lines, index)
        header = _is_reply_header(lines, index)
        quoted = rest_quoted or header or bool(_QUOTE_MARKS.match(line))
        if quoted != current_quoted and current:
            yield current_quoted, current
            current = []
        current_quoted = quoted
        current.append(_QUOTE_MARKS.sub("", line) if quoted else line)
        if header and line.rstrip().endswith(":"):
            current.append("")  # the "... wrote:" line is a paragraph of its own, not the quote's start
    if current:
        yield current_quoted, current


def _opens_original(lines: list[str], index: int) -> bool:
    if _ORIGINAL_MESSAGE.match(lines[index]):
        return True
    following = next((line for line in lines[index + 1 : index + 3] if line.strip()), "")
    return bool(_OUTLOOK_RULE.match(lines[index])) and following.strip().startswith("From:")


def _is_reply_header(lines: list[str], index: int) -> bool:
    """A reply header ("On <date>, <person> wrote:"), which mail programs may wrap onto two lines."""
    here = lines[index].strip()
    before = lines[index - 1].strip() if index else ""
    after = lines[index + 1].strip() if index + 1 < len(lines) else ""
    return any(_REPLY_HEADER.match(text) for text in (here, f"{here} {after}", f"{before} {here}"))


def _attachments(message: EmailMessage, body: MIMEPart | None) -> list[MIMEPart]:
    """Every part that is a file rather than the body, without entering attached messages."""
    found: list[MIMEPart] = []
    stack: list[MIMEPart] = [message]
    while stack:
        part = stack.pop()
        if part.get_content_maintype() == "multipart":
            stack.extend(reversed(list(part.iter_parts())))
        elif part is not body and (
            part.get_content_disposition() == "attachment"
            or part.get_filename()
            or part.get_content_maintype() == "message"
        ):
            found.append(part)
    return found


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = str(message[name] or "")
    except PARSE_ERRORS:
        raw = next((str(v) for k, v in message.raw_items() if k.lower() == name), "")
        try:
            value = str(make_header(decode_header(raw)))
        except PARSE_ERRORS:
            value = raw
    return " ".join(value.split())


def _iso_date(value: str) -> str | None:
    try:
        return parsedate_to_datetime(value).isoformat() if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _payload(part: MIMEPart) -> bytes:
    try:
        if part.get_content_maintype() == "message":
            inner = part.get_payload(0)
            return inner.as_bytes() if isinstance(inner, Message) else b""
        data = part.get_payload(decode=True)
    except PARSE_ERRORS:
        return b""
    return data if isinstance(data, bytes) else b""


def _filename(part: MIMEPart, number: int) -> str:
    try:
        name = part.get_filename()
    except PARSE_ERRORS:
        name = None
    if name and name.strip():
        return " ".join(name.split())
    return f"attachment-{number}{mimetypes.guess_extension(part.get_content_type()) or ''}"


def _safe_name(name: str) -> str:
    # Only the extension matters to sniffing; the rest must not escape the temporary folder.
    cleaned = re.sub(r"[^\w.\- ]", "_", Path(name.replace("\\", "/")).name)[-100:]
    return cleaned.strip(". ") or "attachment"
