"""Streaming multipart reader: file parts go straight to temporary files, hashed on the way.

Memory stays flat whatever the upload size, and the size limit is enforced while bytes arrive, so an
oversized upload is refused after `max_bytes`, not after the whole body has been written to disk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import anyio
import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from pmdi.documents.errors import FileTooLarge, MalformedUpload
from pmdi.documents.filenames import sanitize_filename

FILE_FIELDS = frozenset({"files", "file"})


@dataclass
class SpooledFile:
    original_name: str
    filename: str
    path: Path
    size: int = 0
    sha256: str = ""


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: bytes = b""
    value: bytes = b""


class _Spooler:
    """python-multipart callbacks; runs in a worker thread together with the file writes."""

    def __init__(self, tmp_dir: Path, max_bytes: int, max_files: int) -> None:
        self.tmp_dir, self.max_bytes, self.max_files = tmp_dir, max_bytes, max_files
        self.files: list[SpooledFile] = []
        self._part = _Part()
        self._header_field = b""
        self._header_value = b""
        self._current: SpooledFile | None = None
        self._handle: IO[bytes] | None = None
        self._hash = hashlib.sha256()

    def on_part_begin(self) -> None:
        self._part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._part.headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise MalformedUpload("Each part needs a 'Content-Disposition: form-data; name=...' header.")
        self._part.field_name = options[b"name"]
        if b"filename" in options or self._part.field_name.decode("latin-1") in FILE_FIELDS:
            self._open_file(options.get(b"filename", b"").decode("utf-8", errors="replace"))

    def _open_file(self, original_name: str) -> None:
        if len(self.files) >= self.max_files:
            raise MalformedUpload(f"At most {self.max_files} files can be uploaded in one request.")
        name = sanitize_filename(original_name)
        fd, path = tempfile.mkstemp(dir=self.tmp_dir, prefix="upload-")
        self._handle = os.fdopen(fd, "wb")
        self._current = SpooledFile(original_name=original_name, filename=name, path=Path(path))
        self.files.append(self._current)
        self._hash = hashlib.sha256()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._current is None or self._handle is None:
            if len(self._part.value) + len(chunk) > 4096:
                raise MalformedUpload("Form fields other than files must be short.")
            self._part.value += chunk
            return
        self._current.size += len(chunk)
        if self._current.size > self.max_bytes:
            limit_mb = self.max_bytes / (1024 * 1024)
            raise FileTooLarge(f"'{self._current.filename}' is larger than the {limit_mb:g} MB upload limit.")
        self._hash.update(chunk)
        self._handle.write(chunk)

    def on_part_end(self) -> None:
        if self._current is not None and self._handle is not None:
            self._handle.close()
            self._current.sha256 = self._hash.hexdigest()
        self._current, self._handle = None, None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def discard(self) -> None:
        self.close()
        for spooled in self.files:
            spooled.path.unlink(missing_ok=True)


def boundary_of(content_type: str | None) -> bytes:
    media, options = parse_options_header(content_type or "")
    if media != b"multipart/form-data" or not options.get(b"boundary"):
        raise MalformedUpload("Send the files as multipart/form-data, in a field named 'files'.")
    return options[b"boundary"]


async def spool_upload(
    content_type: str | None, body: AsyncIterator[bytes], tmp_dir: Path, max_bytes: int, max_files: int
) -> list[SpooledFile]:
    """Write every file part of the body to a temporary file. On any error nothing is left behind."""
    boundary = boundary_of(content_type)
    await anyio.Path(tmp_dir).mkdir(parents=True, exist_ok=True)
    spooler = _Spooler(tmp_dir, max_bytes, max_files)
    parser = MultipartParser(boundary, callbacks=_callbacks(spooler))
    try:
        async for chunk in body:
            await anyio.to_thread.run_sync(parser.write, chunk)
        await anyio.to_thread.run_sync(parser.finalize)
        spooler.close()
    except MultipartParseError as exc:
        spooler.discard()
        raise MalformedUpload(f"The multipart body could not be parsed: {exc}.") from exc
    except BaseException:
        spooler.discard()
        raise
    if not spooler.files or any(not f.sha256 for f in spooler.files):
        spooler.discard()
        raise MalformedUpload("No complete file was found in the 'files' field.")
    return spooler.files


def _callbacks(spooler: _Spooler) -> Any:
    names = ("part_begin", "header_field", "header_value", "header_end", "headers_finished")
    callbacks: dict[str, object] = {f"on_{n}": getattr(spooler, f"on_{n}") for n in names}
    callbacks["on_part_data"] = spooler.on_part_data
    callbacks["on_part_end"] = spooler.on_part_end
    return callbacks


def spool_bytes(original_name: str, content: bytes, tmp_dir: Path, max_bytes: int) -> SpooledFile:
    """A file that arrived some other way than an upload (an email attachment), held like an uploaded one."""
    if len(content) > max_bytes:
        raise FileTooLarge(f"'{original_name}' is larger than the {max_bytes}-byte limit.")
    name = sanitize_filename(original_name)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(dir=tmp_dir, prefix="spool-")
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    digest = hashlib.sha256(content).hexdigest()
    return SpooledFile(original_name, name, Path(path), len(content), digest)
