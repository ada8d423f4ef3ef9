"""S3-compatible storage on boto3; every blocking SDK call runs in a worker thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from pmdi.config import StorageSettings
from pmdi.storage.base import CHUNK_SIZE

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


class S3Storage:
    name = "s3"

    def __init__(self, settings: StorageSettings) -> None:
        import boto3
        from botocore.config import Config

        secret = settings.s3_secret_access_key
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix.strip("/")
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put_file(self, key: str, source: Path) -> bool:
        if await self.exists(key):
            return False
        # upload_file does multipart for large files; the object appears only when complete.
        await anyio.to_thread.run_sync(self.client.upload_file, str(source), self.bucket, self._key(key))
        return True

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        response = await anyio.to_thread.run_sync(
            lambda: self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        )
        body: Any = response["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, CHUNK_SIZE):
                yield chunk
        finally:
            body.close()

    async def fetch_to(self, key: str, target: Path) -> None:
        await anyio.to_thread.run_sync(self.client.download_file, self.bucket, self._key(key), str(target))

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await anyio.to_thread.run_sync(
                lambda: self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        )

    async def check(self) -> None:
        await anyio.to_thread.run_sync(lambda: self.client.head_bucket(Bucket=self.bucket))

    async def close(self) -> None:
        self.client.close()
