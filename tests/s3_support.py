"""A local S3 (moto's server) with one bucket, for the tests of S3 storage and of backing it up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import SecretStr

from pmdi.config import StorageSettings


@contextmanager
def moto_s3(bucket: str, prefix: str = "") -> Iterator[StorageSettings]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = StorageSettings(
        backend="s3",
        s3_bucket=bucket,
        s3_prefix=prefix,
        s3_endpoint_url=f"http://{host}:{port}",
        s3_access_key_id="test",
        s3_secret_access_key=SecretStr("test"),
    )
    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=bucket)
    try:
        yield settings
    finally:
        server.stop()
