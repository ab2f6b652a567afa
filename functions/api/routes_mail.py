"""Mail routes of the API: the ignored-mail log (admins), the unmatched view and its
assignment to a client (agents), a ticket's watchers. `install` mounts them on the app."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations.

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel, Field

from functions.api.context import Staff
from mspdesk.config import Settings
from mspdesk.domain.enums import Role
from mspdesk.domain.errors import Forbidden
from mspdesk.domain.mail_records import IgnoredMail, UnmatchedMail, Watcher
from mspdesk.domain.models import Id
from mspdesk.mail_config import mail_settings
from mspdesk.services.deps import Deps

if TYPE_CHECKING:
    from mspdesk.services.ingest import IngestService

router = APIRouter(prefix="/api", tags=["mail"])

MailId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-f0-9]+$")]
Number = Annotated[int, Path(ge=1, le=10**12)]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=2000)]


@dataclass
class MailContext:
    """The mail service, made on the first mail request: the API's cold start does not pay
    for the S3 client and the mail parser."""

    settings: Settings
    deps: Deps
    _ingest: "IngestService | None" = field(default=None, repr=False)

    @property
    def ingest(self) -> "IngestService":
        if self._ingest is None:
            from mspdesk.mail_runtime import ingest_service

            self._ingest = ingest_service(self.settings, mail_settings(), self.deps)
        return self._ingest


def mail_context(request: Request) -> MailContext:
    found: MailContext = request.app.state.mail
    return found


Mail = Annotated[MailContext, Depends(mail_context)]


class IgnoredPage(BaseModel):
    items: list[IgnoredMail]
    next_cursor: str | None = None


class UnmatchedPage(BaseModel):
    items: list[UnmatchedMail]
    next_cursor: str | None = None


class Assignment(BaseModel):
    client_id: Id
    end_user_id: Id | None = Field(
        default=None,
        description="the requester; without it the sender's end-user at that client, created "
        "when the client allows it",
    )


class Assigned(BaseModel):
    ticket_number: int


@router.get("/admin/mail/ignored", response_model=IgnoredPage)
def ignored_mail(mail: Mail, scope: Staff, limit: Limit = 50, cursor: Cursor = None) -> IgnoredPage:
    """Mail that opened no ticket because a program sent it (bounces, auto-replies, lists,
    reports), newest first, with the reason."""
    if scope.role is not Role.ADMIN:
        raise Forbidden("admin role required")
    page = mail.ingest.ignored(scope, limit, cursor)
    return IgnoredPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/mail/unmatched", response_model=UnmatchedPage)
def unmatched_mail(
    mail: Mail, scope: Staff, limit: Limit = 50, cursor: Cursor = None
) -> UnmatchedPage:
    """Mail from senders no client owns, newest first, waiting for an agent to pick the
    client."""
    page = mail.ingest.unmatched(scope, limit, cursor)
    return UnmatchedPage(items=page.items, next_cursor=page.next_cursor)


@router.post("/mail/unmatched/{mail_id}/assign", response_model=Assigned, status_code=201)
def assign_unmatched(mail_id: MailId, data: Assignment, mail: Mail, scope: Staff) -> Assigned:
    """Open the mail's ticket at the client chosen; the mail leaves the unmatched view."""
    number = mail.ingest.assign_unmatched(scope, mail_id, data.client_id, data.end_user_id)
    return Assigned(ticket_number=number)


@router.get("/tickets/{number}/watchers", response_model=list[Watcher])
def watchers(number: Number, mail: Mail, scope: Staff) -> list[Watcher]:
    """People copied on the ticket's mail: agents' replies go to them too."""
    return mail.ingest.mail.thread(number).watchers


def install(app: FastAPI, settings: Settings, deps: Deps) -> None:
    app.state.mail = MailContext(settings, deps)
    app.include_router(router)
