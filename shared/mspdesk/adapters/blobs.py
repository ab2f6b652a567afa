"""The blob-store port (raw mail, attachments) and its adapters: S3, and memory for unit tests
and the ingest benchmark. S3 errors become BlobNotFound or BlobStoreFailed here.

FileStore adds what browsers need: a presigned POST to upload a file straight to the bucket
(size and type fixed by the signed policy) and a presigned GET to download one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, unquote


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
FILENAME_META = "x-amz-meta-filename"


class BlobNotFound(Exception):
    """No object at that location (yet)."""


class BlobStoreFailed(Exception):
    """The store refused or failed the request; a retry may succeed."""


class BlobStore(Protocol):
    def get(self, ref: BlobRef) -> bytes: ...

    def put(
        self, ref: BlobRef, data: bytes, content_type: str = "application/octet-stream"
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class BlobInfo:
    size: int
    content_type: str
    # The name the uploader gave the file (S3 metadata), when it was uploaded with one.
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """A form the browser POSTs to `url`: these fields first, then the file as `file`."""

    url: str
    fields: dict[str, str]


class FileStore(BlobStore, Protocol):
    def head(self, ref: BlobRef) -> BlobInfo: ...

    def copy(self, source: BlobRef, target: BlobRef) -> None: ...

    def presign_upload(
        self, ref: BlobRef, content_type: str, filename: str, max_bytes: int, seconds: int
    ) -> PresignedUpload: ...

    def presign_download(
        self, ref: BlobRef, content_type: str, disposition: str, seconds: int
    ) -> str: ...


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
        except (ClientError, BotoCoreError) as error:
            raise _read_failure(ref, error) from error
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

    def head(self, ref: BlobRef) -> BlobInfo:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self._s3().head_object(Bucket=ref.bucket, Key=ref.key)
        except (ClientError, BotoCoreError) as error:
            raise _read_failure(ref, error) from error
        named = (found.get("Metadata") or {}).get(FILENAME_META.removeprefix("x-amz-meta-"))
        return BlobInfo(
            int(found["ContentLength"]),
            str(found.get("ContentType") or OCTETS),
            unquote(named) if named else None,
        )

    def presign_upload(
        self, ref: BlobRef, content_type: str, filename: str, max_bytes: int, seconds: int
    ) -> PresignedUpload:
        # Signed locally from the credentials: no request to S3.
        fields = {"Content-Type": content_type, FILENAME_META: _metadata_name(filename)}
        post = self._s3().generate_presigned_post(
            ref.bucket,
            ref.key,
            Fields=fields,
            Conditions=[
                *({name: value} for name, value in fields.items()),
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=seconds,
        )
        return PresignedUpload(str(post["url"]), {k: str(v) for k, v in post["fields"].items()})

    def copy(self, source: BlobRef, target: BlobRef) -> None:
        """Server-side, with the source's type and metadata."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3().copy_object(
                CopySource={"Bucket": source.bucket, "Key": source.key},
                Bucket=target.bucket,
                Key=target.key,
                MetadataDirective="COPY",
            )
        except (ClientError, BotoCoreError) as error:
            raise _read_failure(source, error) from error

    def presign_download(
        self, ref: BlobRef, content_type: str, disposition: str, seconds: int
    ) -> str:
        url: str = self._s3().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": ref.bucket,
                "Key": ref.key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=seconds,
        )
        return url


def _metadata_name(filename: str, limit: int = 1024) -> str:
    """The file name as S3 metadata: ASCII (percent-encoded), and short enough that all of a
    form's metadata stays under S3's 2 KB; a long name keeps its end (the extension)."""
    encoded = quote(filename, safe="")
    while len(encoded) > limit:
        filename = filename[1:]
        encoded = quote(filename, safe="")
    return encoded


def _read_failure(ref: BlobRef, error: Exception) -> Exception:
    """A read's SDK error as the port's: not found, or failed (a retry may succeed)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchKey", "404", "NotFound", "NoSuchBucket"):
            return BlobNotFound(str(ref))
        return BlobStoreFailed(f"{ref}: {code}")
    return BlobStoreFailed(f"{ref}: {error}")


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

    def head(self, ref: BlobRef) -> BlobInfo:
        found = self.objects.get(ref)
        if found is None:
            raise BlobNotFound(str(ref))
        return BlobInfo(len(found[0]), found[1])

    def copy(self, source: BlobRef, target: BlobRef) -> None:
        data = self.get(source)
        self.objects[target] = (data, self.objects[source][1])

    def presign_upload(
        self, ref: BlobRef, content_type: str, filename: str, max_bytes: int, seconds: int
    ) -> PresignedUpload:
        return PresignedUpload(
            f"memory://{ref.bucket}",
            {"key": ref.key, "Content-Type": content_type, FILENAME_META: filename},
        )

    def presign_download(
        self, ref: BlobRef, content_type: str, disposition: str, seconds: int
    ) -> str:
        return f"memory://{ref.bucket}/{ref.key}?expires={seconds}"
