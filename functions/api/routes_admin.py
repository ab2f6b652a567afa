"""Admin routes: create, read, list and update every kind of reference data, and delete the
kinds nothing refers to (assets, routing rules).

One set of routes per kind, generated from the admin service's MANAGED table so that a new
kind gets its routes and its OpenAPI schema at once.
"""
# No `from __future__ import annotations`: FastAPI reads the generated routes' annotations.

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response

from functions.api.context import Staff, Svc, if_match_version
from functions.api.schemas import EntityPage
from mspdesk.domain.models import MspSettings
from mspdesk.services.admin import MANAGED, Managed
from mspdesk.store.entities import ASSETS

router = APIRouter(prefix="/api/admin", tags=["admin"])
EntityId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def _dump(entity: Any) -> dict[str, Any]:
    out: dict[str, Any] = entity.model_dump(mode="json")
    return out


@router.get("/settings", response_model=MspSettings)
def get_settings(svc: Svc, scope: Staff) -> MspSettings:
    return svc.admin.get_settings(scope)


@router.put("/settings", response_model=MspSettings)
def put_settings(data: MspSettings, svc: Svc, scope: Staff) -> MspSettings:
    """Replace the MSP's settings; `version` must be the one you read."""
    return svc.admin.put_settings(scope, data)


def _add_routes(managed: Managed) -> None:
    fields_model: Any = managed.fields
    entity_model: Any = managed.kind.model
    title = managed.title
    client_note = " Pass client_id." if managed.kind.owned_by_client else ""

    def create(data: fields_model, svc: Svc, scope: Staff) -> Any:
        return _dump(svc.admin.create(scope, managed, data.model_dump(mode="json")))

    def read(entity_id: EntityId, svc: Svc, scope: Staff) -> Any:
        return _dump(svc.admin.get(scope, managed, entity_id))

    def list_(
        svc: Svc,
        scope: Staff,
        client_id: Annotated[str | None, Query(max_length=64)] = None,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> EntityPage:
        page = svc.admin.list(scope, managed, client_id, limit, cursor)
        return EntityPage(items=[_dump(e) for e in page.items], next_cursor=page.next_cursor)

    def list_assets(
        svc: Svc,
        scope: Staff,
        client_id: Annotated[str | None, Query(max_length=64)] = None,
        end_user_id: Annotated[str | None, Query(max_length=64)] = None,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> EntityPage:
        if end_user_id:
            page = svc.admin.assets_of_end_user(scope, end_user_id, limit, cursor)
        else:
            page = svc.admin.list(scope, managed, client_id, limit, cursor)
        return EntityPage(items=[_dump(e) for e in page.items], next_cursor=page.next_cursor)

    def delete(
        entity_id: EntityId,
        svc: Svc,
        scope: Staff,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        svc.admin.delete(scope, managed, entity_id, if_match_version(if_match))
        return Response(status_code=204)

    def update(
        entity_id: EntityId,
        svc: Svc,
        scope: Staff,
        patch: Annotated[dict[str, Any], Body()],
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        return _dump(svc.admin.update(scope, managed, entity_id, patch, if_match_version(if_match)))

    base = f"/{managed.path}"
    router.add_api_route(
        base,
        create,
        methods=["POST"],
        status_code=201,
        response_model=entity_model,
        summary=f"Create a {title}",
        operation_id=f"create_{managed.kind.name}",
    )
    by_end_user = managed.kind is ASSETS
    router.add_api_route(
        base,
        list_assets if by_end_user else list_,
        methods=["GET"],
        response_model=EntityPage,
        summary=f"List {managed.path}.{client_note}"
        + (" Or pass end_user_id for the assets a person uses." if by_end_user else ""),
        operation_id=f"list_{managed.kind.name}",
    )
    router.add_api_route(
        base + "/{entity_id}",
        read,
        methods=["GET"],
        response_model=entity_model,
        summary=f"Read a {title}",
        operation_id=f"get_{managed.kind.name}",
    )
    router.add_api_route(
        base + "/{entity_id}",
        update,
        methods=["PATCH"],
        response_model=entity_model,
        summary=f"Change a {title}: the fields sent; If-Match with the version is optional",
        operation_id=f"update_{managed.kind.name}",
    )
    if managed.kind.deletable:
        router.add_api_route(
            base + "/{entity_id}",
            delete,
            methods=["DELETE"],
            status_code=204,
            response_class=Response,
            summary=f"Delete a {title} for good; If-Match with the version is optional",
            operation_id=f"delete_{managed.kind.name}",
        )


for _managed in MANAGED:
    _add_routes(_managed)
