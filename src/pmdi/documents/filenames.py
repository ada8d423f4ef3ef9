"""Uploaded file names: refuse names that try to be paths, and tame the rest for display and download."""

from __future__ import annotations

import re
import unicodedata

from pmdi.documents.errors import InvalidFilename

MAX_NAME_LENGTH = 200
_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_UNSAFE = re.compile(r"[^\w .,()\[\]+@&'!#%=~-]", re.UNICODE)


def _check(raw: str) -> None:
    if not raw.strip():
        raise InvalidFilename("The file has no name.")
    if any(unicodedata.category(ch) == "Cc" for ch in raw):
        raise InvalidFilename("The file name contains control characters (such as NUL).")
    if "/" in raw or "\\" in raw:
        raise InvalidFilename("The file name must be a plain name, without directories ('/' or '\\').")
    if raw.strip() in {".", ".."}:
        raise InvalidFilename("The file name must not be '.' or '..'.")
    if len(raw) > 1024:
        raise InvalidFilename("The file name is longer than 1024 characters.")


def sanitize_filename(raw: str) -> str:
    """Return a safe display/storage name, or raise InvalidFilename for names that are attacks."""
    _check(raw)
    name = unicodedata.normalize("NFKC", raw)
    name = _BIDI_AND_INVISIBLE.sub("", name)
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        raise InvalidFilename("The file name has no usable characters.")
    if len(name) > MAX_NAME_LENGTH:
        _, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name[: MAX_NAME_LENGTH - len(keep) - 1].rstrip(" .") + ("." + keep if keep else "")
    return name


def extension(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""
