"""Files on tickets, for agents (/api) and end-users (/portal/api): ask for an upload, then
name its key on the ticket or reply; ask for a download link to a file an action lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from functions.api.context import EndUserScope, Staff, Svc
from functions.api.schemas import DownloadOut, UploadOut
from mspdesk.domain.scope import Scope
from mspdesk.services.attachments import Download, Upload, UploadRequest

agent_router = APIRouter(prefix="/api", tags=["attachments"])
portal_router = APIRouter(prefix="/portal/api", tags=["portal"])

Number = Annotated[int, Path(ge=1, le=10**12)]
ActionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Index = Annotated[int, Path(ge=0, le=499)]


def _upload(upload: Upload) -> UploadOut:
    return UploadOut(
        key=upload.key,
        url=upload.url,
        fields=upload.fields,
        max_bytes=upload.max_bytes,
        expires_at=upload.expires_at,
    )


def _download(svc: Svc, scope: Scope, number: int, action_id: str, index: int) -> DownloadOut:
    found: Download = svc.attachments.download(scope, number, action_id, index)
    return DownloadOut(
        url=found.url,
        filename=found.filename,
        content_type=found.content_type,
        size=found.size,
        expires_at=found.expires_at,
    )


@agent_router.post("/attachments", status_code=201, response_model=UploadOut)
def agent_upload(data: UploadRequest, svc: Svc, scope: Staff) -> UploadOut:
    """A presigned form to upload one file (15 minutes); then put its key in a ticket's or an
    action's `attachments`."""
    return _upload(svc.attachments.start_upload(scope, data))


@agent_router.get(
    "/tickets/{number}/actions/{action_id}/attachments/{index}", response_model=DownloadOut
)
def agent_download(
    number: Number, action_id: ActionId, index: Index, svc: Svc, scope: Staff
) -> DownloadOut:
    """A five-minute link to a file of the ticket: mail attachments and uploads alike."""
    return _download(svc, scope, number, action_id, index)


@portal_router.post("/attachments", status_code=201, response_model=UploadOut)
def portal_upload(data: UploadRequest, svc: Svc, scope: EndUserScope) -> UploadOut:
    """A presigned form to upload one file; then name its key in the new ticket's or the
    reply's `attachments`."""
    return _upload(svc.attachments.start_upload(scope, data))


@portal_router.get(
    "/tickets/{number}/actions/{action_id}/attachments/{index}", response_model=DownloadOut
)
def portal_download(
    number: Number, action_id: ActionId, index: Index, svc: Svc, scope: EndUserScope
) -> DownloadOut:
    """A five-minute link to a file on one of your company's tickets."""
    return _download(svc, scope, number, action_id, index)
