"""The console's reference lists in one answer (issue 8): every client, agent, team and
category by id and name, so a freshly opened tab waits for one request instead of four
paged listings before it can name anything in the queue."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel

from functions.api.context import Svc, staff
from mspdesk.domain.models import Stored
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import DynamoStore
from mspdesk.store.entities import EntityKind

router = APIRouter(prefix="/api", tags=["reference"])
# The four lists are four Queries on the parent index; the answer waits for the slowest only.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="reference")
CACHE_CONTROL = "private, no-cache"


class Named(BaseModel):
    id: str
    name: str
    # Clients and agents can be switched off; they stay listed, because old tickets still
    # name them, and screens that offer a choice can leave them out.
    active: bool | None = None


class ReferenceOut(BaseModel):
    clients: list[Named]
    agents: list[Named]
    teams: list[Named]
    categories: list[Named]


def _named(store: DynamoStore, kind: EntityKind[Any]) -> list[Named]:
    entities: list[Stored] = list(store.every_entity(kind))
    out = [
        Named(id=e.id, name=getattr(e, "name", e.id), active=getattr(e, "active", None))
        for e in entities
    ]
    return sorted(out, key=lambda n: (n.name.casefold(), n.id))


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): any listed tag, or `*`."""
    if if_none_match is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get(
    "/reference",
    response_model=ReferenceOut,
    response_model_exclude_none=True,
    # The MSP's people only: to an end-user this route does not exist (404).
    dependencies=[Depends(staff)],
    responses={304: {"description": "Not modified: the lists are the ones of your ETag"}},
)
def reference(
    svc: Svc,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Every client, agent, team and category as {id, name, active?}, each list by name,
    inactive ones included. Send If-None-Match with the ETag you hold: 304 while nothing
    changed."""
    store = svc.deps.store
    clients, agents, teams, categories = (
        _POOL.submit(_named, store, kind)
        for kind in (kinds.CLIENTS, kinds.AGENTS, kinds.TEAMS, kinds.CATEGORIES)
    )
    answer = ReferenceOut(
        clients=clients.result(),
        agents=agents.result(),
        teams=teams.result(),
        categories=categories.result(),
    )
    body = answer.model_dump_json(exclude_none=True).encode()
    headers = {"ETag": _etag(body), "Cache-Control": CACHE_CONTROL}
    if _matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)
