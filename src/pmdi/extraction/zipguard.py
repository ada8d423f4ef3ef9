"""The checks an Office archive (DOCX, XLSX, PPTX) passes before a parsing library opens it.

Zip bombs are refused from the central directory's declared sizes. Those sizes can lie, but zipfile never
inflates an entry past its declared size (the rest fails the CRC check), so they bound what the libraries
can unpack. XML entity bombs are refused by scanning the prolog of every XML part: Office never writes a DTD.
"""

from __future__ import annotations

import codecs
import re
import struct
import zipfile
import zlib
from pathlib import Path

from pmdi.extraction.base import ExtractOptions
from pmdi.extraction.errors import CorruptDocument, LimitExceeded

MAX_ENTRIES = 10_000
# Small XML parts compress far better than the ratio limit; only large parts say anything about a bomb.
RATIO_MIN_BYTES = 1024 * 1024
# Office writes the XML declaration and then the root element; a prolog longer than this is not Office's.
PROLOG_WINDOW = 16 * 1024
XML_SUFFIXES = (".xml", ".rels")
MB = 1024 * 1024
# The XML declaration, processing instructions, comments and whitespace that may precede a DTD.
_PROLOG = re.compile(r"\s*(?:(?:<\?.*?\?>|<!--.*?-->)\s*)*", re.DOTALL)
_ELEMENT = re.compile(r"<[^!?]")
# UTF-32 before UTF-16: their little-endian marks share a prefix.
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)
# A damaged archive surfaces as any of these while its directory or an entry is read.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, NotImplementedError, ValueError)


def check_archive(path: Path, options: ExtractOptions, what: str) -> None:
    """Raise LimitExceeded or CorruptDocument (naming `what`, e.g. "Word document") for a hostile archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_sizes(entries, options, what)
            for entry in entries:
                if entry.filename.lower().endswith(XML_SUFFIXES):
                    _check_prolog(archive, entry, what)
    except ZIP_ERRORS as exc:
        raise CorruptDocument(f"The {what} is damaged: its ZIP archive cannot be read.") from exc


def _check_sizes(entries: list[zipfile.ZipInfo], options: ExtractOptions, what: str) -> None:
    if len(entries) > MAX_ENTRIES:
        raise LimitExceeded(
            f"The {what} holds {len(entries):,} files, more than the {MAX_ENTRIES:,} a real document needs."
        )
    total = sum(entry.file_size for entry in entries)
    if total > options.max_unzipped_bytes:
        raise LimitExceeded(
            f"The {what} would unpack to {total / MB:,.0f} MB, more than the limit of "
            f"{options.max_unzipped_bytes / MB:,.0f} MB."
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_MIN_BYTES and ratio > options.max_compression_ratio:
            raise LimitExceeded(
                f"The {what} contains a part compressed {ratio:,.0f} to 1, beyond the limit of "
                f"{options.max_compression_ratio} to 1; it looks like a zip bomb."
            )


def _check_prolog(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, what: str) -> None:
    with archive.open(entry) as part:
        head = part.read(PROLOG_WINDOW)
    text = _markup(head)
    prolog = _PROLOG.match(text)
    end = prolog.end() if prolog else 0
    # Past the prolog a "<!" that opens no comment can only be a DTD, which every entity bomb needs.
    if text.startswith("<!", end) and not text.startswith("<!--", end):
        raise CorruptDocument(
            f"The {what} contains a DTD, which Office files never do; "
            "refusing it as a possible XML entity bomb."
        )
    # A prolog that fills the window could hide a DTD further on.
    if len(head) == PROLOG_WINDOW and not _ELEMENT.match(text, end):
        raise CorruptDocument(
            f"The {what} is damaged: an XML part starts with over {PROLOG_WINDOW // 1024} KB of preamble, "
            "which Office never writes."
        )


def _markup(head: bytes) -> str:
    """The head as text for the markup scan, whichever Unicode encoding the XML parser would detect."""
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    # Markup is ASCII, so dropping NULs reads UTF-16 and UTF-32 alike, which a plain byte scan would miss.
    return head.replace(b"\x00", b"").decode("utf-8", errors="replace")
