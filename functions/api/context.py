"""Request-scoped dependencies: the services and the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from functions.api.auth import Authenticator
from functions.api.errors import PreconditionRequired
from mspdesk.config import Settings
from mspdesk.domain.errors import Forbidden, InvalidInput, NotFound
from mspdesk.domain.scope import Scope
from mspdesk.mail_config import mail_settings
from mspdesk.mail_runtime import attachment_service
from mspdesk.services.admin import AdminService
from mspdesk.services.attachments import AttachmentService
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketService


@dataclass
class Services:
    settings: Settings
    deps: Deps
    auth: Authenticator
    tickets: TicketService
    admin: AdminService
    attachments: AttachmentService

    @classmethod
    def build(cls, settings: Settings, deps: Deps) -> Services:
        attachments = attachment_service(settings, mail_settings(), deps)
        return cls(
            settings=settings,
            deps=deps,
            auth=Authenticator(settings, deps.store),
            tickets=TicketService(deps, attachments),
            admin=AdminService(deps),
            attachments=attachments,
        )


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def caller(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Scope:
    return services(request).auth.scope_for(authorization)


def staff(request: Request, scope: Annotated[Scope, Depends(caller)]) -> Scope:
    """The MSP's people only. To an end-user the agent API does not exist: 404, so a ticket
    number tells them nothing either."""
    if not scope.is_staff:
        raise NotFound("route", request.url.path)
    return scope


def end_user(scope: Annotated[Scope, Depends(caller)]) -> Scope:
    if scope.is_staff:
        raise Forbidden("the portal is for end-users; agents use the console")
    return scope


def if_match_version(value: str | None) -> int | None:
    """The version an If-Match header carries (`3`, `"3"` or `W/"3"`); None when absent."""
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput("If-Match", "If-Match carries the version number you read")
    return int(raw)


def required_version(value: str | None) -> int:
    """As if_match_version, for changes that must not be made blind: 428 without it."""
    version = if_match_version(value)
    if version is None:
        raise PreconditionRequired("If-Match")
    return version


Svc = Annotated[Services, Depends(services)]
Staff = Annotated[Scope, Depends(staff)]
Caller = Annotated[Scope, Depends(caller)]
EndUserScope = Annotated[Scope, Depends(end_user)]
