"""Bytes of unknown encoding → clean text with "\\n" line ends, for the text, Markdown, HTML and mail."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from pmdi.extraction.base import ExtractOptions
from pmdi.extraction.errors import CorruptDocument

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
BYTES_PER_CHAR = 4  # enough for any encoding, so the byte cap never cuts text below max_chars
# Windows-1252 text has a few accented letters among plain ones; other 8-bit encodings read as
# Windows-1252 turn whole words into accented Latin letters.
MAX_ACCENTED_SHARE = 0.2
SAMPLE_BYTES = 4096
MAX_CONTROL_SHARE = 0.05  # beyond this the bytes are binary, not text
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Zero-width characters are invisible in any rendering but would split words for search and quoting.
INVISIBLE = str.maketrans("", "", "\u200b\u2060\ufeff")
_LINE_ENDS = re.compile(r"\r\n?|[\x85\u2028\u2029]")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    lossy: bool = False  # some bytes could not be decoded and became U+FFFD
    truncated: bool = False

    def warnings(self) -> list[str]:
        notes = []
        if self.lossy:
            notes.append(f"The text encoding is unclear; it was read as {self.encoding} and may be garbled.")
        if self.truncated:
            notes.append("The file is longer than the character limit; only its beginning was read.")
        return notes


def read_text(path: Path, options: ExtractOptions, declared: str | None = None) -> Decoded:
    """Read and decode at most what `options.max_chars` characters can take."""
    limit = options.max_chars * BYTES_PER_CHAR
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    truncated = len(data) > limit
    decoded = decode_bytes(data[:limit], declared, partial=truncated)
    if truncated:
        return Decoded(decoded.text, decoded.encoding, decoded.lossy, truncated=True)
    return decoded


def decode_bytes(data: bytes, declared: str | None = None, *, partial: bool = False) -> Decoded:
    """BOM, then UTF-8, then the declared charset, then a guess; `partial` data may end mid-character."""
    decoded = _decode(data, declared, partial)
    text = _LINE_ENDS.sub("\n", decoded.text).translate(INVISIBLE)
    controls = len(_CONTROLS.findall(text))
    if controls > max(2, len(text) * MAX_CONTROL_SHARE):
        raise CorruptDocument("The file is binary data, not text.")
    return Decoded(_CONTROLS.sub("", text) if controls else text, decoded.encoding, decoded.lossy)


def _decode(data: bytes, declared: str | None, partial: bool) -> Decoded:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding, partial)
            if text is None:
                text = codecs.getincrementaldecoder(encoding)("replace").decode(data, final=not partial)
                return Decoded(text, encoding, lossy=True)
            return Decoded(text, encoding)
    if b"\x00" in data[:SAMPLE_BYTES]:
        # Text with NULs is UTF-16 or UTF-32 without a mark, which only the detector recognises.
        return _detect(data)
    for encoding in ("utf-8", declared or "utf-8"):
        text = _strict(data, encoding, partial)
        if text is not None:
            return Decoded(text, encoding)
    western = _strict(data, "cp1252", partial=False)
    if western is not None and _accented_share(western) <= MAX_ACCENTED_SHARE:
        return Decoded(western, "cp1252")
    return _detect(data)


def _strict(data: bytes, encoding: str, partial: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=not partial)
    except (UnicodeDecodeError, LookupError):
        # LookupError: a declared charset Python does not know.
        return None


def _detect(data: bytes) -> Decoded:
    match = from_bytes(data).best()
    if match is not None:
        return Decoded(str(match), match.encoding)
    return Decoded(data.decode("cp1252", errors="replace"), "cp1252", lossy=True)


def _accented_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    accented = sum(1 for ch in letters if not ch.isascii())
    return accented / len(letters) if letters else 0.0
