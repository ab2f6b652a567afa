"""Admin create, read, update and (for the kinds nothing refers to) delete of the desk's
reference data, with referential checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from mspdesk.domain.enums import Role
from mspdesk.domain.errors import Forbidden, InvalidInput, NotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import (
    AgentFields,
    AssetFields,
    CalendarFields,
    CategoryFields,
    ClientFields,
    ContractFields,
    EndUserFields,
    Model,
    MspSettings,
    SiteFields,
    SlaPlanFields,
    Stored,
    TeamFields,
    new_id,
)
from mspdesk.domain.phone import to_e164
from mspdesk.domain.scope import Scope
from mspdesk.domain.triage import RoutingRuleFields
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import Page
from mspdesk.store.entities import EntityKind

_STORED_FIELDS = set(Stored.model_fields)


@dataclass(frozen=True)
class Managed:
    """An entity kind as the admin API exposes it."""

    kind: EntityKind[Any]
    fields: type[Model]
    id_prefix: str
    path: str  # the URL segment under /api/admin/
    title: str


MANAGED: tuple[Managed, ...] = (
    Managed(kinds.CLIENTS, ClientFields, "cl", "clients", "Client"),
    Managed(kinds.SITES, SiteFields, "site", "sites", "Site"),
    Managed(kinds.END_USERS, EndUserFields, "eu", "end-users", "EndUser"),
    Managed(kinds.AGENTS, AgentFields, "ag", "agents", "Agent"),
    Managed(kinds.TEAMS, TeamFields, "team", "teams", "Team"),
    Managed(kinds.CATEGORIES, CategoryFields, "cat", "categories", "Category"),
    Managed(kinds.SLA_PLANS, SlaPlanFields, "sla", "sla-plans", "SlaPlan"),
    Managed(kinds.CALENDARS, CalendarFields, "cal", "calendars", "Calendar"),
    Managed(kinds.CONTRACTS, ContractFields, "con", "contracts", "Contract"),
    Managed(kinds.ASSETS, AssetFields, "asset", "assets", "Asset"),
    Managed(kinds.ROUTING_RULES, RoutingRuleFields, "rule", "routing-rules", "RoutingRule"),
)
BY_PATH = {m.path: m for m in MANAGED}
BY_KIND = {m.kind.name: m for m in MANAGED}


def _reraise(error: ValidationError) -> InvalidInput:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    return InvalidInput(field, first["msg"])


class AdminService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps

    @staticmethod
    def _require_admin(scope: Scope) -> None:
        if scope.role is not Role.ADMIN:
            raise Forbidden("admin role required")

    def get_settings(self, scope: Scope) -> MspSettings:
        self._require_admin(scope)
        return self._d.store.get_settings()

    def put_settings(self, scope: Scope, settings: MspSettings) -> MspSettings:
        self._require_admin(scope)
        current = self._d.store.get_settings()
        if settings.version != current.version:
            raise VersionConflict("settings", "msp", settings.version, current.version)
        saved = settings.model_copy(update={"version": current.version + 1})
        self._d.store.put_settings(saved)
        self._publish("SettingsUpdated", None, {"version": saved.version})
        return saved

    def create(self, scope: Scope, managed: Managed, body: dict[str, Any]) -> Stored:
        self._require_admin(scope)
        fields = self._validate(managed, body)
        self._check_references(managed.kind, fields)
        now = self._d.clock()
        entity: Stored = managed.kind.model(
            id=new_id(managed.id_prefix),
            created_at=now,
            updated_at=now,
            **fields.model_dump(),
        )
        self._d.store.save_entity(managed.kind, entity)
        self._publish(f"{managed.title}Created", entity, {"id": entity.id})
        return entity

    def get(self, scope: Scope, managed: Managed, entity_id: str) -> Stored:
        entity: Stored = self._d.store.get_entity(managed.kind, entity_id, scope)
        return entity

    def list(
        self,
        scope: Scope,
        managed: Managed,
        client_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Stored]:
        if managed.kind.owned_by_client and not client_id:
            raise InvalidInput("client_id", f"{managed.path} are listed per client")
        return self._d.store.list_entities(managed.kind, scope, client_id, limit, cursor)

    def assets_of_end_user(
        self, scope: Scope, end_user_id: str, limit: int, cursor: str | None
    ) -> Page[Stored]:
        """AP11 by end-user: the assets they use."""
        self._d.store.get_entity(kinds.END_USERS, end_user_id, scope)
        page = self._d.store.assets_of_end_user(end_user_id, limit, cursor)
        return Page(list(page.items), page.next_cursor)

    def update(
        self,
        scope: Scope,
        managed: Managed,
        entity_id: str,
        patch: dict[str, Any],
        expected_version: int | None,
    ) -> Stored:
        """Apply the fields sent; the whole result is validated as a create would be."""
        self._require_admin(scope)
        current = self._d.store.get_entity(managed.kind, entity_id, scope)
        if expected_version is not None and expected_version != current.version:
            raise VersionConflict(managed.kind.name, entity_id, expected_version, current.version)
        unknown = set(patch) & _STORED_FIELDS
        if unknown:
            raise InvalidInput(sorted(unknown)[0], "this field is set by the desk")
        if "client_id" in patch and patch["client_id"] != getattr(current, "client_id", None):
            raise InvalidInput("client_id", "an entity cannot move to another client")
        merged = {**current.model_dump(mode="json", exclude=_STORED_FIELDS), **patch}
        fields = self._validate(managed, merged)
        self._check_references(managed.kind, fields)
        if isinstance(fields, CategoryFields):
            self._check_not_own_ancestor(entity_id, fields.parent_id)
        updated: Stored = managed.kind.model(
            id=current.id,
            version=current.version + 1,
            created_at=current.created_at,
            updated_at=self._d.clock(),
            **fields.model_dump(),
        )
        self._d.store.save_entity(managed.kind, updated, previous=current)
        self._publish(
            f"{managed.title}Updated", updated, {"id": updated.id, "fields": sorted(patch)}
        )
        return updated

    def delete(
        self, scope: Scope, managed: Managed, entity_id: str, expected_version: int | None
    ) -> None:
        """Delete for good, for the kinds no history names (assets, routing rules); the others
        are deactivated with an update."""
        self._require_admin(scope)
        if not managed.kind.deletable:
            raise Forbidden(f"{managed.path} are kept for their history: deactivate instead")
        current = self._d.store.get_entity(managed.kind, entity_id, scope)
        if expected_version is not None and expected_version != current.version:
            raise VersionConflict(managed.kind.name, entity_id, expected_version, current.version)
        self._d.store.delete_entity(managed.kind, current)
        self._publish(f"{managed.title}Deleted", current, {"id": current.id})

    # --- validation ------------------------------------------------------------------------

    def _validate(self, managed: Managed, body: dict[str, Any]) -> Model:
        body = self._normalise_phones(managed.kind, dict(body))
        try:
            return managed.fields.model_validate(body)
        except ValidationError as error:
            raise _reraise(error) from error

    def _normalise_phones(self, kind: EntityKind[Any], body: dict[str, Any]) -> dict[str, Any]:
        """People type numbers in national form; the store keeps E.164 (AP6)."""
        region = None

        def norm(value: Any, field: str) -> Any:
            nonlocal region
            if not isinstance(value, str) or (value.startswith("+") and value[1:].isdigit()):
                return value
            region = region or self._d.store.get_settings().phone_region
            return to_e164(value, region, field)

        if kind is kinds.END_USERS and isinstance(body.get("phones"), list):
            body["phones"] = [norm(v, f"phones.{i}") for i, v in enumerate(body["phones"])]
        if kind in (kinds.CLIENTS, kinds.SITES) and body.get("main_phone"):
            body["main_phone"] = norm(body["main_phone"], "main_phone")
        return body

    def _check_references(self, kind: EntityKind[Any], fields: Model) -> None:
        store = self._d.store

        def must_exist(
            ref_kind: EntityKind[Any], ref_id: str | None, field: str, client_id: str | None = None
        ) -> None:
            if not ref_id:
                return
            found = store.find_entity(ref_kind, ref_id)
            if found is None or (client_id and getattr(found, "client_id", None) != client_id):
                where = " at this client" if client_id else ""
                raise InvalidInput(field, f"no {ref_kind.name.replace('_', '-')} {ref_id}{where}")

        data = fields.model_dump()
        client_id = data.get("client_id")
        if kind.owned_by_client:
            must_exist(kinds.CLIENTS, client_id, "client_id")
        checks: dict[str, Callable[[], None]] = {
            "site_id": lambda: must_exist(kinds.SITES, data["site_id"], "site_id", client_id),
            "end_user_id": lambda: must_exist(
                kinds.END_USERS, data["end_user_id"], "end_user_id", client_id
            ),
            "sla_plan_id": lambda: must_exist(kinds.SLA_PLANS, data["sla_plan_id"], "sla_plan_id"),
            "calendar_id": lambda: must_exist(kinds.CALENDARS, data["calendar_id"], "calendar_id"),
            "parent_id": lambda: must_exist(kinds.CATEGORIES, data["parent_id"], "parent_id"),
            "default_team_id": lambda: must_exist(
                kinds.TEAMS, data["default_team_id"], "default_team_id"
            ),
        }
        for name, check in checks.items():
            if data.get(name):
                check()
        for i, team_id in enumerate(data.get("team_ids") or []):
            must_exist(kinds.TEAMS, team_id, f"team_ids.{i}")
        if isinstance(fields, RoutingRuleFields):
            self._check_rule(fields, must_exist)

    @staticmethod
    def _check_rule(rule: RoutingRuleFields, must_exist: Callable[..., None]) -> None:
        for i, client_id in enumerate(rule.conditions.client_ids):
            must_exist(kinds.CLIENTS, client_id, f"conditions.client_ids.{i}")
        for i, category_id in enumerate(rule.conditions.category_ids):
            must_exist(kinds.CATEGORIES, category_id, f"conditions.category_ids.{i}")
        must_exist(kinds.TEAMS, rule.actions.team_id, "actions.team_id")
        must_exist(kinds.AGENTS, rule.actions.agent_id, "actions.agent_id")
        must_exist(kinds.CATEGORIES, rule.actions.category_id, "actions.category_id")

    def _check_not_own_ancestor(self, category_id: str, parent_id: str | None) -> None:
        """A category may not sit under itself, however far up: the tree would never end."""
        seen: set[str] = set()
        while parent_id and parent_id not in seen:
            if parent_id == category_id:
                raise InvalidInput("parent_id", "a category cannot sit under itself")
            seen.add(parent_id)
            parent = self._d.store.find_entity(kinds.CATEGORIES, parent_id)
            parent_id = parent.parent_id if parent else None

    def _publish(self, event_type: str, entity: Stored | None, detail: dict[str, Any]) -> None:
        client_id = getattr(entity, "client_id", None)
        if entity is not None and entity.id.startswith("cl_"):
            client_id = entity.id
        self._d.events.publish([DomainEvent(type=event_type, client_id=client_id, detail=detail)])


def lookup(path: str) -> Managed:
    managed = BY_PATH.get(path)
    if managed is None:
        raise NotFound("collection", path)
    return managed
