"""Blob storage provider protocol and its registry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

from pmdi.config import StorageSettings

CHUNK_SIZE = 256 * 1024


class Storage(Protocol):
    name: str

    async def put_file(self, key: str, source: Path) -> bool:
        """Store `source` under `key` atomically; False when the key already held the content."""
        ...

    def stream(self, key: str) -> AsyncIterator[bytes]: ...

    async def fetch_to(self, key: str, target: Path) -> None:
        """Copy the object to a local file, for processing stages that need a path."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def check(self) -> None:
        """Raise when the backend is unreachable (used by /readyz)."""
        ...

    async def close(self) -> None: ...


def _local(settings: StorageSettings) -> Storage:
    from pmdi.storage.local import LocalStorage

    return LocalStorage(settings.local_root)


def _s3(settings: StorageSettings) -> Storage:
    from pmdi.storage.s3 import S3Storage

    return S3Storage(settings)


STORAGE_BACKENDS: dict[str, Callable[[StorageSettings], Storage]] = {"local": _local, "s3": _s3}


def create_storage(settings: StorageSettings) -> Storage:
    return STORAGE_BACKENDS[settings.backend](settings)


def document_key(organization_id: str, sha256: str) -> str:
    """Content-addressed within an organisation, so deleting one tenant's file never touches another's."""
    return f"{organization_id}/{sha256[:2]}/{sha256}"
