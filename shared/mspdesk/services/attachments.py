"""Files on tickets from the portal and the console.

A browser asks for an upload (name, type, size), POSTs the file straight to the bucket with the
presigned form it gets back, then names the upload's key on the ticket or reply it raises. The
API never carries the bytes, so files may be larger than a Lambda payload. Downloads are
short-lived presigned GETs, handed only to someone who may read the action that lists the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field

from mspdesk.adapters.blobs import BlobNotFound, BlobRef, FileStore
from mspdesk.domain.attachments import (
    FILENAME_PATTERN,
    MAX_PER_ACTION,
    StoredAttachment,
    attachments_of,
    content_disposition,
    kept_key,
    upload_key,
    uploads_of,
)
from mspdesk.domain.enums import Visibility
from mspdesk.domain.errors import InvalidInput, NotFound
from mspdesk.domain.models import Model, new_id
from mspdesk.domain.scope import Scope
from mspdesk.mail_config import MailSettings
from mspdesk.services.deps import Deps

UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60


class UploadRequest(Model):
    filename: Annotated[str, Field(min_length=1, max_length=255, pattern=FILENAME_PATTERN)]
    # What the browser says the file is; the signed form holds the upload to it.
    content_type: Annotated[
        str, Field(max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9.+_-]*/[A-Za-z0-9.+_-]+$")
    ] = "application/octet-stream"
    size: Annotated[int, Field(ge=1)]


@dataclass(frozen=True)
class Upload:
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: datetime


@dataclass(frozen=True)
class Download:
    url: str
    filename: str
    content_type: str
    size: int
    expires_at: datetime


class AttachmentService:
    def __init__(self, deps: Deps, files: FileStore, settings: MailSettings) -> None:
        self._d = deps
        self._files = files
        self._bucket = settings.mail_bucket
        self._root = settings.attachment_prefix
        self.max_bytes = settings.attachment_max_bytes

    def start_upload(self, scope: Scope, request: UploadRequest) -> Upload:
        """A presigned form for one file, under the caller's own upload prefix."""
        if request.size > self.max_bytes:
            raise InvalidInput(
                "size", f"{request.filename} is over the {_megabytes(self.max_bytes)} limit"
            )
        key = upload_key(self._root, scope.principal_id, new_id("up"), request.filename)
        form = self._files.presign_upload(
            BlobRef(self._bucket, key),
            request.content_type,
            request.filename,
            self.max_bytes,
            UPLOAD_SECONDS,
        )
        expires_at = self._d.clock() + timedelta(seconds=UPLOAD_SECONDS)
        return Upload(key, form.url, form.fields, self.max_bytes, expires_at)

    def claim(self, scope: Scope, keys: Sequence[str]) -> list[StoredAttachment]:
        """The uploads named on a ticket or reply, as the action will list them. Only their
        uploader may attach them, and only once they are in the bucket. Each is copied where
        its upload form cannot overwrite it; the upload itself expires (a bucket rule)."""
        if len(keys) > MAX_PER_ACTION:
            raise InvalidInput("attachments", f"at most {MAX_PER_ACTION} files at a time")
        own = uploads_of(self._root, scope.principal_id)
        claimed: list[StoredAttachment] = []
        for key in dict.fromkeys(keys):
            name = key.rsplit("/", 1)[-1]
            if not key.startswith(own) or ".." in key:
                raise InvalidInput("attachments", f"{name} is not one of your uploads")
            kept = BlobRef(self._bucket, kept_key(self._root, key))
            try:
                self._files.copy(BlobRef(self._bucket, key), kept)
                info = self._files.head(kept)
            except BlobNotFound:
                raise InvalidInput(
                    "attachments", f"{name} has not been uploaded (or its upload expired)"
                ) from None
            if info.size > self.max_bytes:
                raise InvalidInput("attachments", f"{name} is over the size limit")
            claimed.append(
                StoredAttachment(
                    filename=(info.filename or name)[:255],
                    content_type=info.content_type,
                    size=info.size,
                    key=kept.key,
                )
            )
        return claimed

    def download(self, scope: Scope, number: int, action_id: str, index: int) -> Download:
        """A short-lived link to one file of an action the caller may read. An end-user sees
        only their own client's public actions: anything else is not found."""
        store = self._d.store
        store.get_ticket(number, scope)
        action = store.find_action(number, action_id)
        if action is None or (not scope.is_staff and action.visibility is not Visibility.PUBLIC):
            raise NotFound("action", action_id)
        listed = attachments_of(action.meta)
        if not 0 <= index < len(listed):
            raise NotFound("attachment", f"{action_id}/{index}")
        found = listed[index]
        if found.key is None:
            raise NotFound("attachment", f"{found.filename} was not kept ({found.skipped})")
        url = self._files.presign_download(
            BlobRef(self._bucket, found.key),
            found.content_type or "application/octet-stream",
            content_disposition(found.filename),
            DOWNLOAD_SECONDS,
        )
        expires_at = self._d.clock() + timedelta(seconds=DOWNLOAD_SECONDS)
        return Download(url, found.filename, found.content_type, found.size, expires_at)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"
