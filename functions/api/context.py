"""Request-scoped dependencies: the services and the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from functions.api.auth import Authenticator
from mspdesk.config import Settings
from mspdesk.domain.errors import Forbidden, NotFound
from mspdesk.domain.scope import Scope
from mspdesk.services.admin import AdminService
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketService


@dataclass
class Services:
    settings: Settings
    deps: Deps
    auth: Authenticator
    tickets: TicketService
    admin: AdminService

    @classmethod
    def build(cls, settings: Settings, deps: Deps) -> Services:
        return cls(
            settings=settings,
            deps=deps,
            auth=Authenticator(settings, deps.store),
            tickets=TicketService(deps),
            admin=AdminService(deps),
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


Svc = Annotated[Services, Depends(services)]
Staff = Annotated[Scope, Depends(staff)]
Caller = Annotated[Scope, Depends(caller)]
EndUserScope = Annotated[Scope, Depends(end_user)]
