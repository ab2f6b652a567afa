"""Admin create, read, replace and delete of call scripts; agents read them. A call keeps the
transcript of its answers on its ticket, so deleting a script loses no history."""

from __future__ import annotations

from typing import Any

from mspdesk.domain.call_scripts import CallScript, CallScriptFields
from mspdesk.domain.errors import InvalidInput, NotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import new_id
from mspdesk.domain.scope import Scope
from mspdesk.services.cti_directory import require_admin
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.call_scripts import MAX_SCRIPTS, CallScriptStore
from mspdesk.store.entities import EntityKind


class CallScriptService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self.store = CallScriptStore(deps.store)

    def _check_targets(self, fields: CallScriptFields) -> None:
        wanted: list[tuple[EntityKind[Any], str]] = [
            *((kinds.CLIENTS, i) for i in fields.client_ids),
            *((kinds.CATEGORIES, i) for i in fields.category_ids),
            *((kinds.TEAMS, i) for i in fields.team_ids),
        ]
        found = self._d.store.get_mixed(wanted) if wanted else {}
        for field, kind, ids in (
            ("client_ids", "client", fields.client_ids),
            ("category_ids", "category", fields.category_ids),
            ("team_ids", "team", fields.team_ids),
        ):
            for i, entity_id in enumerate(ids):
                if (kind, entity_id) not in found:
                    raise InvalidInput(f"{field}.{i}", f"no {kind} {entity_id}")

    def create(self, scope: Scope, fields: CallScriptFields) -> CallScript:
        require_admin(scope)
        self._check_targets(fields)
        if len(self.store.all()) >= MAX_SCRIPTS:
            raise InvalidInput("name", f"at most {MAX_SCRIPTS} call scripts")
        now = self._d.clock()
        script = CallScript(id=new_id("cs"), created_at=now, updated_at=now, **dict(fields))
        self.store.save(script, None)
        self._publish("CallScriptCreated", script)
        return script

    def replace(
        self, scope: Scope, script_id: str, fields: CallScriptFields, expected: int | None
    ) -> CallScript:
        require_admin(scope)
        current = self.store.get(script_id)
        if expected is not None and expected != current.version:
            raise VersionConflict("call_script", script_id, expected, current.version)
        self._check_targets(fields)
        script = CallScript(
            id=current.id,
            version=current.version + 1,
            created_at=current.created_at,
            updated_at=self._d.clock(),
            **dict(fields),
        )
        self.store.save(script, current.version)
        self._publish("CallScriptUpdated", script)
        return script

    def delete(self, scope: Scope, script_id: str, expected: int | None) -> None:
        require_admin(scope)
        current = self.store.get(script_id)
        if expected is not None and expected != current.version:
            raise VersionConflict("call_script", script_id, expected, current.version)
        self.store.delete(current)
        self._publish("CallScriptDeleted", current)

    def get(self, scope: Scope, script_id: str) -> CallScript:
        if not scope.is_staff:
            raise NotFound("call_script", script_id)
        return self.store.get(script_id)

    def all(self, scope: Scope) -> list[CallScript]:
        if not scope.is_staff:
            raise NotFound("route", "call-scripts")
        return self.store.all()

    def _publish(self, event_type: str, script: CallScript) -> None:
        detail = {"id": script.id, "version": script.version}
        self._d.events.publish([DomainEvent(type=event_type, client_id=None, detail=detail)])
