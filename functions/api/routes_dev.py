"""Local mode only: the demo accounts and the dev token issuer. Never mounted in AWS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from fastapi import APIRouter

from functions.api.auth import DEV_TOKEN_HOURS
from functions.api.context import Svc
from functions.api.schemas import Account, TokenOut, TokenRequest
from mspdesk.domain.enums import Role
from mspdesk.domain.models import Stored
from mspdesk.domain.scope import Scope
from mspdesk.store import entities as kinds
from mspdesk.store.entities import EntityKind

E = TypeVar("E", bound=Stored)

router = APIRouter(prefix="/api/dev", tags=["local dev"])


@router.get("/accounts", response_model=list[Account])
def accounts(svc: Svc) -> list[Account]:
    """Every person who can sign in to the local stack: agents first, then end-users."""
    store = svc.deps.store
    system = Scope.system()
    out: list[Account] = []

    def every(kind: EntityKind[E], client_id: str | None = None) -> Iterator[E]:
        cursor = None
        while True:
            page = store.list_entities(kind, system, client_id, 100, cursor)
            yield from page.items
            cursor = page.next_cursor
            if not cursor:
                return

    for agent in every(kinds.AGENTS):
        if agent.active:
            out.append(Account(email=agent.email, name=agent.name, role=agent.role, client_id=None))
    for client in every(kinds.CLIENTS):
        for person in every(kinds.END_USERS, client.id):
            if person.active and person.emails:
                out.append(
                    Account(
                        email=person.emails[0],
                        name=person.name,
                        role=Role.END_USER,
                        client_id=client.id,
                    )
                )
    return out


@router.post("/token", response_model=TokenOut)
def token(data: TokenRequest, svc: Svc) -> TokenOut:
    """A signed token for a known account, as the local sign-in picker asks for."""
    return TokenOut(
        access_token=svc.auth.issue_dev_token(data.email), expires_in=DEV_TOKEN_HOURS * 3600
    )
