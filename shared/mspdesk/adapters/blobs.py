"""The blob-store port (raw mail, attachments) and its adapters: S3, and memory for unit tests
and the ingest benchmark. S3 errors become BlobNotFound or BlobStoreFailed here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class BlobRef:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @classmethod
    def parse(cls, value: str) -> BlobRef:
        """`s3://bucket/key` -> BlobRef; anything else is a ValueError."""
        rest = value.removeprefix("s3://")
        bucket, _, key = rest.partition("/")
        if not value.startswith("s3://") or not bucket or not key:
            raise ValueError(f"not an s3://bucket/key location: {value!r}")
        return cls(bucket, key)


OCTETS = "application/octet-stream"


class BlobNotFound(Exception):
    """No object at that location (yet)."""


class BlobStoreFailed(Exception):
    """The store refused or failed the request; a retry may succeed."""


class BlobStore(Protocol):
    def get(self, ref: BlobRef) -> bytes: ...

    def put(
        self, ref: BlobRef, data: bytes, content_type: str = "application/octet-stream"
    ) -> None: ...


class S3Blobs:
    """S3 GetObject and PutObject. The client is made on first use."""

    def __init__(self, client: Any | Callable[[], Any]) -> None:
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None

    def _s3(self) -> Any:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def get(self, ref: BlobRef) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._s3().get_object(Bucket=ref.bucket, Key=ref.key)
            data: bytes = response["Body"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound", "NoSuchBucket"):
                raise BlobNotFound(str(ref)) from error
            raise BlobStoreFailed(f"{ref}: {code}") from error
        except BotoCoreError as error:
            raise BlobStoreFailed(f"{ref}: {error}") from error
        return data

    def put(
        self, ref: BlobRef, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3().put_object(
                Bucket=ref.bucket, Key=ref.key, Body=data, ContentType=content_type
            )
        except (ClientError, BotoCoreError) as error:
            raise BlobStoreFailed(f"{ref}: {error}") from error


class MemoryBlobs:
    """A dict of objects: for unit tests and benchmarks."""

    def __init__(self) -> None:
        self.objects: dict[BlobRef, tuple[bytes, str]] = {}

    def get(self, ref: BlobRef) -> bytes:
        found = self.objects.get(ref)
        if found is None:
            raise BlobNotFound(str(ref))
        return found[0]

    def put(
        self, ref: BlobRef, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.objects[ref] = (data, content_type)
