"""Files on tickets: what an action lists, where an upload is kept and who may attach it.

Mail attachments are stored by ingest; files from the portal and the console are uploaded by
the browser straight to the bucket (a presigned POST), then named by their key on the ticket or
reply that carries them. Both are listed the same way in the action's meta["attachments"].
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import Field, ValidationError

from mspdesk.domain.models import Model

# Files one ticket, reply or note may carry.
MAX_PER_ACTION = 10
# A file name as people see it: no control characters (they would break mail headers).
FILENAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# An upload's key as the browser names it back: uploads/<principal>/<upload id>/<name>.
UploadKey = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9._/-]+$")]


class StoredAttachment(Model):
    filename: str
    content_type: str
    size: int
    inline: bool = False
    content_id: str | None = None
    # The object key in the bucket; None when the file was over the size limit.
    key: str | None = None
    skipped: str | None = None


def safe_filename(name: str, fallback: str) -> str:
    """A name fit for an object key: letters, digits, dot, dash and underscore, the end kept
    (it holds the extension)."""
    return _UNSAFE.sub("_", name).strip("._")[-100:] or fallback


def uploads_of(root: str, principal_id: str) -> str:
    """The key prefix of everything one person uploaded: only they may attach it."""
    return f"{root}uploads/{principal_id}/"


def upload_key(root: str, principal_id: str, upload_id: str, filename: str) -> str:
    return f"{uploads_of(root, principal_id)}{upload_id}/{safe_filename(filename, 'file')}"


def kept_key(root: str, upload: str) -> str:
    """Where a claimed upload is kept: a key its uploader's form cannot write, so the file on
    the ticket stays the one that was checked (and mailed). Made from the upload's key, so a
    retried claim copies to the same place."""
    return f"{root}files/{upload.removeprefix(root).removeprefix('uploads/')}"


def attachments_of(meta: dict[str, Any]) -> list[StoredAttachment]:
    """The files an action lists, in order (their position is how they are fetched). An entry
    that does not parse is shown as unavailable rather than hiding the rest."""
    listed: list[StoredAttachment] = []
    for raw in meta.get("attachments") or []:
        try:
            listed.append(StoredAttachment.model_validate(raw))
        except ValidationError:
            listed.append(
                StoredAttachment(
                    filename="attachment", content_type="", size=0, skipped="unreadable"
                )
            )
    return listed


def content_disposition(filename: str) -> str:
    """`attachment` with the name in plain ASCII and in full (RFC 6266 / 5987)."""
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
