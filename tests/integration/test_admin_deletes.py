"""Deleting what no history names (assets, routing rules, call scripts), refusing to delete what
history names, and an end-user's assets listed for the admin screens."""

from __future__ import annotations

from typing import Any

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.call_scripts import CallScriptFields
from mspdesk.domain.errors import Forbidden, InvalidInput, NotFound, VersionConflict
from mspdesk.services.admin import MANAGED, lookup
from mspdesk.services.call_scripts import CallScriptService
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore
from mspdesk.store.entities import ASSETS, ROUTING_RULES
from tests.unit.builders import ADMIN, Desk, build_desk


@pytest.fixture
def desk(deps: Deps) -> Desk:
    return build_desk(deps)


def asset_of_alice(desk: Desk, name: str = "ACME-PC-01") -> Any:
    return desk.admin.create(
        ADMIN,
        lookup("assets"),
        {
            "client_id": desk.client_a.id,
            "name": name,
            "end_user_id": desk.alice.id,
            "remote_access": [{"kind": "rdp", "target": "acme-pc-01.acme.local"}],
        },
    )


def rule(desk: Desk) -> Any:
    return desk.admin.create(
        ADMIN,
        lookup("routing-rules"),
        {
            "name": "Printers",
            "conditions": {"keywords": ["printer"]},
            "actions": {"priority": "P2"},
        },
    )


def script_fields(name: str = "Outage") -> CallScriptFields:
    return CallScriptFields.model_validate(
        {"name": name, "questions": [{"id": "who", "text": "Who is affected?"}]}
    )


def test_only_assets_and_routing_rules_are_deletable_admin_kinds() -> None:
    assert {m.path for m in MANAGED if m.kind.deletable} == {"assets", "routing-rules"}


def test_an_admin_deletes_an_asset_and_it_leaves_the_lists_and_the_context_panel(
    desk: Desk, events: RecordingPublisher
) -> None:
    kept = asset_of_alice(desk, "ACME-PC-02")
    gone = asset_of_alice(desk)
    number = desk.ticket().number
    panel = desk.tickets.detail(desk.agent_scope, number).context
    assert panel is not None
    assert {a.id for a in panel.assets} == {kept.id, gone.id}

    desk.admin.delete(ADMIN, lookup("assets"), gone.id, gone.version)

    with pytest.raises(NotFound):
        desk.admin.get(ADMIN, lookup("assets"), gone.id)
    listed = desk.admin.list(ADMIN, lookup("assets"), desk.client_a.id, 50, None)
    assert [a.id for a in listed.items] == [kept.id]
    by_person = desk.admin.assets_of_end_user(ADMIN, desk.alice.id, 50, None)
    assert [a.id for a in by_person.items] == [kept.id]
    panel = desk.tickets.detail(desk.agent_scope, number).context
    assert panel is not None
    assert [a.id for a in panel.assets] == [kept.id]
    deleted = events.events[-1]
    assert (deleted.type, deleted.client_id, deleted.detail) == (
        "AssetDeleted",
        desk.client_a.id,
        {"id": gone.id},
    )


def test_an_admin_deletes_a_routing_rule_without_a_version(
    desk: Desk, events: RecordingPublisher
) -> None:
    made = rule(desk)
    desk.admin.delete(ADMIN, lookup("routing-rules"), made.id, None)
    assert desk.admin.list(ADMIN, lookup("routing-rules"), None, 50, None).items == []
    assert events.types()[-1] == "RoutingRuleDeleted"


def test_a_stale_delete_is_refused_and_deletes_nothing(desk: Desk) -> None:
    made = rule(desk)
    changed = desk.admin.update(ADMIN, lookup("routing-rules"), made.id, {"order": 5}, None)
    with pytest.raises(VersionConflict) as refused:
        desk.admin.delete(ADMIN, lookup("routing-rules"), made.id, made.version)
    assert refused.value.current == changed.version
    assert desk.admin.get(ADMIN, lookup("routing-rules"), made.id) == changed


def test_a_delete_racing_a_change_loses_to_the_change(desk: Desk, store: DynamoStore) -> None:
    """The version read is the DeleteItem's condition: a change landing between the read and
    the delete wins."""
    read = asset_of_alice(desk)
    desk.admin.update(ADMIN, lookup("assets"), read.id, {"name": "Renamed"}, None)
    with pytest.raises(VersionConflict):
        store.delete_entity(ASSETS, read)
    assert store.find_entity(ASSETS, read.id) == read.model_copy(
        update={"name": "Renamed", "version": 2, "updated_at": read.updated_at}
    )


def test_deleting_what_is_gone_is_not_found(desk: Desk, store: DynamoStore) -> None:
    made = rule(desk)
    desk.admin.delete(ADMIN, lookup("routing-rules"), made.id, None)
    with pytest.raises(NotFound):
        desk.admin.delete(ADMIN, lookup("routing-rules"), made.id, None)
    with pytest.raises(NotFound):
        store.delete_entity(ROUTING_RULES, made)


def test_an_agent_may_not_delete(desk: Desk, events: RecordingPublisher) -> None:
    made = asset_of_alice(desk)
    before = len(events.events)
    with pytest.raises(Forbidden):
        desk.admin.delete(desk.agent_scope, lookup("assets"), made.id, None)
    assert desk.admin.get(ADMIN, lookup("assets"), made.id) == made
    assert len(events.events) == before


@pytest.mark.parametrize(
    ("path", "attribute"),
    [
        ("clients", "client_a"),
        ("end-users", "alice"),
        ("agents", "agent"),
        ("teams", "team"),
        ("categories", "category"),
        ("contracts", "contract_a"),
        ("sla-plans", "plan"),
        ("calendars", "calendar"),
    ],
)
def test_what_history_names_is_never_deleted(desk: Desk, path: str, attribute: str) -> None:
    entity = getattr(desk, attribute)
    with pytest.raises(Forbidden):
        desk.admin.delete(ADMIN, lookup(path), entity.id, None)
    assert desk.admin.get(ADMIN, lookup(path), entity.id) == entity
    with pytest.raises(ValueError, match="kept for its history"):
        desk.deps.store.delete_entity(lookup(path).kind, entity)


def test_an_end_users_assets_are_listed_for_staff_only_and_for_people_who_exist(
    desk: Desk,
) -> None:
    made = asset_of_alice(desk)
    asset_of_bob = desk.admin.create(
        ADMIN,
        lookup("assets"),
        {"client_id": desk.client_b.id, "name": "BRAVO-01", "end_user_id": desk.bob.id},
    )
    assert [a.id for a in desk.admin.assets_of_end_user(ADMIN, desk.alice.id, 10, None).items] == [
        made.id
    ]
    assert [a.id for a in desk.admin.assets_of_end_user(ADMIN, desk.bob.id, 10, None).items] == [
        asset_of_bob.id
    ]
    with pytest.raises(NotFound):
        desk.admin.assets_of_end_user(ADMIN, "eu_nobody", 10, None)
    with pytest.raises(NotFound):
        desk.admin.assets_of_end_user(desk.alice_scope, desk.bob.id, 10, None)


# --- call scripts ------------------------------------------------------------------------------


@pytest.fixture
def scripts(deps: Deps) -> CallScriptService:
    return CallScriptService(deps)


def test_call_scripts_publish_their_changes_and_an_admin_deletes_one(
    scripts: CallScriptService, events: RecordingPublisher
) -> None:
    kept = scripts.create(ADMIN, script_fields("Default"))
    made = scripts.create(ADMIN, script_fields())
    changed = scripts.replace(ADMIN, made.id, script_fields("Outage, v2"), made.version)
    scripts.delete(ADMIN, made.id, changed.version)
    with pytest.raises(NotFound):
        scripts.get(ADMIN, made.id)
    assert [s.id for s in scripts.all(ADMIN)] == [kept.id]
    assert events.types()[-3:] == ["CallScriptCreated", "CallScriptUpdated", "CallScriptDeleted"]
    assert events.events[-1].detail == {"id": made.id, "version": changed.version}


def test_a_call_script_delete_is_refused_when_stale_gone_or_not_an_admin(
    desk: Desk, scripts: CallScriptService
) -> None:
    made = scripts.create(ADMIN, script_fields())
    changed = scripts.replace(ADMIN, made.id, script_fields("Renamed"), None)
    with pytest.raises(VersionConflict):
        scripts.delete(ADMIN, made.id, made.version)
    with pytest.raises(VersionConflict):
        scripts.store.delete(made)  # a change landed after this version was read
    with pytest.raises(Forbidden):
        scripts.delete(desk.agent_scope, made.id, None)
    assert scripts.get(ADMIN, made.id) == changed
    scripts.delete(ADMIN, made.id, None)
    with pytest.raises(NotFound):
        scripts.delete(ADMIN, made.id, None)
    with pytest.raises(NotFound):
        scripts.store.delete(changed)


def test_the_cached_script_list_forgets_a_deleted_script(scripts: CallScriptService) -> None:
    made = scripts.create(ADMIN, script_fields())
    assert [s.id for s in scripts.store.all(cached=True)] == [made.id]
    scripts.delete(ADMIN, made.id, None)
    assert scripts.store.all(cached=True) == []


def test_an_end_users_assets_page_with_a_cursor_each_once(desk: Desk) -> None:
    made = {
        desk.admin.create(
            ADMIN,
            lookup("assets"),
            {"client_id": desk.client_a.id, "name": f"ALPHA-{n:02d}", "end_user_id": desk.alice.id},
        ).id
        for n in range(5)
    }
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = desk.admin.assets_of_end_user(ADMIN, desk.alice.id, 2, cursor)
        assert len(page.items) <= 2
        seen += [a.id for a in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    with pytest.raises(InvalidInput):  # a cursor of another person's list
        desk.admin.assets_of_end_user(
            ADMIN,
            desk.bob.id,
            2,
            desk.admin.assets_of_end_user(ADMIN, desk.alice.id, 2, None).next_cursor,
        )
