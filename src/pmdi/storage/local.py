"""Local filesystem storage: content-addressed keys, atomic writes via rename in the same directory tree."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.to_thread

from pmdi.storage.base import CHUNK_SIZE


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / "objects" / key).resolve()
        if not path.is_relative_to(self.root / "objects"):
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    async def put_file(self, key: str, source: Path) -> bool:
        return await anyio.to_thread.run_sync(self._put_file, key, source)

    def _put_file(self, key: str, source: Path) -> bool:
        target = self._path(key)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK_SIZE)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return True

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as handle:
            while chunk := await handle.read(CHUNK_SIZE):
                yield chunk

    async def fetch_to(self, key: str, target: Path) -> None:
        await anyio.to_thread.run_sync(shutil.copyfile, self._path(key), target)

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self._path(key)).exists()

    async def delete(self, key: str) -> None:
        await anyio.Path(self._path(key)).unlink(missing_ok=True)

    async def check(self) -> None:
        await anyio.Path(self.root / "objects").mkdir(parents=True, exist_ok=True)

    async def close(self) -> None:
        return None
