"""Admin reference data: create, read, update and list every kind, with its checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.domain.enums import Role
from mspdesk.domain.errors import AlreadyExists, Forbidden, InvalidInput, VersionConflict
from mspdesk.domain.models import MspSettings
from mspdesk.domain.scope import Scope
from mspdesk.services.admin import MANAGED, AdminService, lookup
from mspdesk.services.deps import Deps
from mspdesk.store.entities import END_USERS
from tests.unit.builders import ADMIN, PLAN_BODY, shared_deps

AGENT = Scope(role=Role.AGENT, principal_id="ag_sam", name="Sam")


@dataclass
class Refs:
    """What the other kinds refer to: two clients, a site at each, and the shared terms."""

    client_a: Any
    client_b: Any
    site_a: Any
    site_b: Any
    plan: Any
    calendar: Any
    team: Any
    category: Any


@pytest.fixture
def admin(deps: Deps) -> AdminService:
    return AdminService(deps)


def create(admin: AdminService, path: str, body: dict[str, Any]) -> Any:
    return admin.create(ADMIN, lookup(path), body)


def make_refs(admin: AdminService) -> Refs:
    client_a = create(admin, "clients", {"name": "Acme", "email_domains": ["acme.example"]})
    client_b = create(admin, "clients", {"name": "Bravo", "email_domains": ["bravo.example"]})
    return Refs(
        client_a=client_a,
        client_b=client_b,
        site_a=create(admin, "sites", {"client_id": client_a.id, "name": "Head office"}),
        site_b=create(admin, "sites", {"client_id": client_b.id, "name": "Depot"}),
        plan=create(admin, "sla-plans", PLAN_BODY),
        calendar=create(admin, "calendars", {"name": "Office"}),
        team=create(admin, "teams", {"name": "Desk"}),
        category=create(admin, "categories", {"name": "Hardware"}),
    )


@pytest.fixture
def refs(admin: AdminService) -> Refs:
    return make_refs(admin)


@pytest.fixture(scope="module")
def settled(moto_endpoint: str) -> Iterator[tuple[AdminService, Refs]]:
    """A desk shared by the tests that only read it or are refused."""
    with shared_deps(moto_endpoint) as deps:
        admin = AdminService(deps)
        yield admin, make_refs(admin)


BODIES: dict[str, Callable[[Refs], dict[str, Any]]] = {
    "clients": lambda r: {"name": "Charlie", "email_domains": ["charlie.example"]},
    "sites": lambda r: {"client_id": r.client_a.id, "name": "Warehouse"},
    "end-users": lambda r: {
        "client_id": r.client_a.id,
        "name": "Alice",
        "emails": ["alice@acme.example"],
        "site_id": r.site_a.id,
    },
    "agents": lambda r: {"name": "Sam", "email": "sam@msp.example", "team_ids": [r.team.id]},
    "teams": lambda r: {"name": "Projects"},
    "categories": lambda r: {"name": "Printers", "parent_id": r.category.id},
    "sla-plans": lambda r: {**PLAN_BODY, "name": "Gold"},
    "calendars": lambda r: {"name": "24x7", "time_zone": "UTC"},
    "contracts": lambda r: {
        "client_id": r.client_a.id,
        "name": "Managed",
        "starts_on": "2026-01-01",
        "sla_plan_id": r.plan.id,
        "calendar_id": r.calendar.id,
    },
    "assets": lambda r: {
        "client_id": r.client_a.id,
        "name": "ACME-PC-01",
        "remote_access": [{"kind": "teamviewer", "target": "123456"}],
    },
    "routing-rules": lambda r: {
        "name": "Printers to the desk",
        "order": 10,
        "conditions": {"client_ids": [r.client_a.id], "keywords": ["printer"]},
        "actions": {"team_id": r.team.id, "category_id": r.category.id, "priority": "P2"},
    },
}


def test_a_routing_rule_must_name_what_exists(admin: AdminService, refs: Refs) -> None:
    rule = BODIES["routing-rules"](refs)
    with pytest.raises(InvalidInput) as refused:
        create(admin, "routing-rules", {**rule, "actions": {"team_id": "team_nope"}})
    assert refused.value.field == "actions.team_id"
    with pytest.raises(InvalidInput) as refused:
        create(admin, "routing-rules", {**rule, "conditions": {"client_ids": ["cl_nope"]}})
    assert refused.value.field == "conditions.client_ids.0"
    with pytest.raises(InvalidInput) as refused:
        create(admin, "routing-rules", {**rule, "actions": {}})
    assert refused.value.field == "actions"


def test_every_managed_kind_has_a_body_here() -> None:
    assert set(BODIES) == {m.path for m in MANAGED}


@pytest.mark.parametrize("path", list(BODIES))
def test_an_admin_creates_reads_updates_and_lists_each_kind(
    admin: AdminService, refs: Refs, events: RecordingPublisher, path: str
) -> None:
    managed = lookup(path)
    created = admin.create(ADMIN, managed, BODIES[path](refs))
    assert created.version == 1
    assert admin.get(ADMIN, managed, created.id) == created
    updated = admin.update(ADMIN, managed, created.id, {"name": "Renamed"}, created.version)
    assert (updated.name, updated.version) == ("Renamed", 2)  # type: ignore[attr-defined]
    assert updated.created_at == created.created_at
    assert admin.get(ADMIN, managed, created.id) == updated
    client_id = getattr(created, "client_id", None)
    listed = admin.list(ADMIN, managed, client_id, 50, None)
    assert created.id in [e.id for e in listed.items]
    assert events.types()[-2:] == [f"{managed.title}Created", f"{managed.title}Updated"]


def test_lists_page_with_a_cursor(admin: AdminService) -> None:
    ids = {create(admin, "teams", {"name": f"Team {i}"}).id for i in range(5)}
    seen, cursor = [], None
    while True:
        page = admin.list(ADMIN, lookup("teams"), None, 2, cursor)
        seen += [t.id for t in page.items]
        if not (cursor := page.next_cursor):
            break
    assert sorted(seen) == sorted(ids)


def test_kinds_owned_by_a_client_are_listed_per_client(settled: tuple[AdminService, Refs]) -> None:
    admin, refs = settled
    with pytest.raises(InvalidInput) as refused:
        admin.list(ADMIN, lookup("sites"), None, 10, None)
    assert refused.value.field == "client_id"
    sites = admin.list(ADMIN, lookup("sites"), refs.client_b.id, 10, None)
    assert [s.id for s in sites.items] == [refs.site_b.id]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("clients", {"name": ""}, "name"),
        ("clients", {"name": "X", "email_domains": ["not a domain"]}, "email_domains.0"),
        ("clients", {"name": "X", "branding": {"accent_colour": "blue"}}, "branding.accent_colour"),
        ("clients", {"name": "X", "favourite": "tea"}, "favourite"),
        ("agents", {"name": "X", "email": "not-an-address"}, "email"),
        ("agents", {"name": "X", "email": "x@msp.example", "role": "end-user"}, "role"),
        ("calendars", {"name": "X", "time_zone": "Europe/Atlantis"}, "time_zone"),
        ("sla-plans", {"name": "X", "targets": {}}, "targets"),
        ("teams", {}, "name"),
    ],
)
def test_a_refused_body_names_the_field_at_fault(
    settled: tuple[AdminService, Refs], path: str, body: dict[str, Any], field: str
) -> None:
    admin, _ = settled
    with pytest.raises(InvalidInput) as refused:
        create(admin, path, body)
    assert refused.value.field == field


def test_a_contract_ending_before_it_starts_names_ends_on(
    settled: tuple[AdminService, Refs],
) -> None:
    admin, refs = settled
    body = {**BODIES["contracts"](refs), "ends_on": "2025-12-31"}
    with pytest.raises(InvalidInput) as refused:
        create(admin, "contracts", body)
    assert refused.value.field == "ends_on"


@pytest.mark.parametrize(
    ("path", "change", "field"),
    [
        ("end-users", lambda r: {"site_id": r.site_b.id}, "site_id"),
        ("end-users", lambda r: {"client_id": "cl_nobody", "site_id": None}, "client_id"),
        ("contracts", lambda r: {"sla_plan_id": "sla_nobody"}, "sla_plan_id"),
        ("contracts", lambda r: {"calendar_id": "cal_nobody"}, "calendar_id"),
        ("agents", lambda r: {"team_ids": [r.team.id, "team_nobody"]}, "team_ids.1"),
        ("categories", lambda r: {"parent_id": "cat_nobody"}, "parent_id"),
        ("categories", lambda r: {"default_team_id": "team_nobody"}, "default_team_id"),
        ("assets", lambda r: {"site_id": r.site_b.id}, "site_id"),
    ],
)
def test_a_reference_to_something_missing_or_of_another_client_is_refused(
    settled: tuple[AdminService, Refs],
    path: str,
    change: Callable[[Refs], dict[str, Any]],
    field: str,
) -> None:
    admin, refs = settled
    with pytest.raises(InvalidInput) as refused:
        create(admin, path, {**BODIES[path](refs), **change(refs)})
    assert refused.value.field == field


def test_an_assets_end_user_must_belong_to_the_same_client(
    settled: tuple[AdminService, Refs],
) -> None:
    admin, refs = settled
    bob = create(admin, "end-users", {"client_id": refs.client_b.id, "name": "Bob"})
    with pytest.raises(InvalidInput) as refused:
        create(admin, "assets", {**BODIES["assets"](refs), "end_user_id": bob.id})
    assert refused.value.field == "end_user_id"


def test_an_entity_cannot_move_to_another_client(settled: tuple[AdminService, Refs]) -> None:
    admin, refs = settled
    with pytest.raises(InvalidInput) as refused:
        admin.update(ADMIN, lookup("sites"), refs.site_a.id, {"client_id": refs.client_b.id}, None)
    assert refused.value.field == "client_id"


@pytest.mark.parametrize("field", ["id", "version", "created_at", "updated_at"])
def test_fields_the_desk_sets_cannot_be_patched(
    settled: tuple[AdminService, Refs], field: str
) -> None:
    admin, refs = settled
    with pytest.raises(InvalidInput) as refused:
        admin.update(ADMIN, lookup("teams"), refs.team.id, {field: "x"}, None)
    assert refused.value.field == field


def test_an_update_with_a_stale_version_is_refused(admin: AdminService, refs: Refs) -> None:
    teams = lookup("teams")
    admin.update(ADMIN, teams, refs.team.id, {"name": "First"}, refs.team.version)
    with pytest.raises(VersionConflict) as conflict:
        admin.update(ADMIN, teams, refs.team.id, {"name": "Second"}, refs.team.version)
    assert (conflict.value.expected, conflict.value.current) == (1, 2)
    assert admin.get(ADMIN, teams, refs.team.id).name == "First"  # type: ignore[attr-defined]


def test_a_write_racing_another_is_refused_by_the_store(deps: Deps, refs: Refs) -> None:
    stale = refs.team
    deps.store.save_entity(
        lookup("teams").kind, stale.model_copy(update={"name": "Winner", "version": 2}), stale
    )
    with pytest.raises(VersionConflict):
        deps.store.save_entity(
            lookup("teams").kind, stale.model_copy(update={"name": "Loser", "version": 2}), stale
        )


def test_a_racing_address_change_is_a_version_conflict_not_a_taken_address(
    admin: AdminService, refs: Refs, deps: Deps
) -> None:
    alice = create(admin, "end-users", BODIES["end-users"](refs))

    def change(address: str) -> Any:
        return alice.model_copy(update={"emails": [address], "version": alice.version + 1})

    deps.store.save_entity(END_USERS, change("first@acme.example"), alice)
    with pytest.raises(VersionConflict):
        deps.store.save_entity(END_USERS, change("second@acme.example"), alice)
    assert deps.store.principal_by_email("second@acme.example") is None


def test_an_email_address_belongs_to_one_person_across_end_users_and_agents(
    admin: AdminService, refs: Refs, deps: Deps
) -> None:
    alice = create(admin, "end-users", BODIES["end-users"](refs))
    for path, body in (
        (
            "end-users",
            {"client_id": refs.client_b.id, "name": "Imposter", "emails": ["ALICE@acme.example"]},
        ),
        ("agents", {"name": "Imposter", "email": "alice@acme.example"}),
    ):
        with pytest.raises(AlreadyExists):
            create(admin, path, body)
    create(admin, "agents", {"name": "Sam", "email": "sam@msp.example"})
    with pytest.raises(AlreadyExists):
        admin.update(
            ADMIN, lookup("end-users"), alice.id, {"emails": ["sam@msp.example"]}, alice.version
        )
    # The refused change left nothing half-done.
    owner = deps.store.principal_by_email("alice@acme.example")
    assert owner is not None
    assert owner.id == alice.id


def test_changing_an_end_users_address_frees_the_old_one(
    admin: AdminService, refs: Refs, deps: Deps
) -> None:
    alice = create(admin, "end-users", BODIES["end-users"](refs))
    admin.update(ADMIN, lookup("end-users"), alice.id, {"emails": ["alice.new@acme.example"]}, None)
    moved = deps.store.principal_by_email("Alice.New@acme.example")
    assert moved is not None
    assert (moved.kind, moved.id, moved.client_id) == ("end_user", alice.id, refs.client_a.id)
    assert deps.store.principal_by_email("alice@acme.example") is None
    successor = create(
        admin,
        "end-users",
        {"client_id": refs.client_a.id, "name": "Alicia", "emails": ["alice@acme.example"]},
    )
    taken = deps.store.principal_by_email("alice@acme.example")
    assert taken is not None
    assert taken.id == successor.id


def test_changing_an_agents_address_frees_the_old_one(admin: AdminService, deps: Deps) -> None:
    sam = create(admin, "agents", {"name": "Sam", "email": "sam@msp.example"})
    admin.update(ADMIN, lookup("agents"), sam.id, {"email": "samuel@msp.example"}, None)
    assert deps.store.principal_by_email("sam@msp.example") is None
    found = deps.store.principal_by_email("samuel@msp.example")
    assert found is not None
    assert found.id == sam.id


def test_phones_typed_in_national_form_are_kept_as_e164_and_found_by_number(
    admin: AdminService, refs: Refs, deps: Deps
) -> None:
    alice = create(
        admin,
        "end-users",
        {
            "client_id": refs.client_a.id,
            "name": "Alice",
            "phones": ["01623 123456", "07700 900123"],
        },
    )
    assert alice.phones == ["+441623123456", "+447700900123"]
    assert [p.id for p in deps.store.end_users_by_phone("+447700900123")] == [alice.id]
    admin.update(ADMIN, lookup("end-users"), alice.id, {"phones": ["01623 123456"]}, None)
    assert deps.store.end_users_by_phone("+447700900123") == []
    site = create(
        admin,
        "sites",
        {"client_id": refs.client_a.id, "name": "Mill", "main_phone": "0115 496 0000"},
    )
    assert site.main_phone == "+441154960000"


def test_a_phone_that_is_no_number_is_refused_by_position(admin: AdminService, refs: Refs) -> None:
    with pytest.raises(InvalidInput) as refused:
        create(
            admin,
            "end-users",
            {
                "client_id": refs.client_a.id,
                "name": "Alice",
                "phones": ["+441623123456", "call me"],
            },
        )
    assert refused.value.field == "phones.1"


def test_phones_follow_the_msps_region(admin: AdminService, refs: Refs) -> None:
    settings = admin.get_settings(ADMIN)
    admin.put_settings(ADMIN, settings.model_copy(update={"phone_region": "US"}))
    client = create(admin, "clients", {"name": "Yankee", "main_phone": "(212) 555-0123"})
    assert client.main_phone == "+12125550123"


def test_a_client_is_found_by_its_email_domains_and_a_domain_has_one_client(
    admin: AdminService, refs: Refs, deps: Deps
) -> None:
    assert deps.store.client_id_by_domain("acme.example") == refs.client_a.id
    with pytest.raises(AlreadyExists):
        create(admin, "clients", {"name": "Copycat", "email_domains": ["ACME.example"]})
    admin.update(
        ADMIN,
        lookup("clients"),
        refs.client_a.id,
        {"email_domains": ["acme.example", "acme.test"]},
        None,
    )
    assert deps.store.client_id_by_domain("acme.test") == refs.client_a.id


def test_only_admins_change_reference_data_but_agents_may_read_it(
    settled: tuple[AdminService, Refs],
) -> None:
    admin, refs = settled
    with pytest.raises(Forbidden):
        admin.create(AGENT, lookup("teams"), {"name": "Rogue"})
    with pytest.raises(Forbidden):
        admin.update(AGENT, lookup("teams"), refs.team.id, {"name": "Rogue"}, None)
    with pytest.raises(Forbidden):
        admin.get_settings(AGENT)
    assert admin.get(AGENT, lookup("teams"), refs.team.id).id == refs.team.id
    assert admin.list(AGENT, lookup("teams"), None, 10, None).items


def test_settings_change_with_their_version_and_publish_an_event(
    admin: AdminService, events: RecordingPublisher
) -> None:
    first = admin.get_settings(ADMIN)
    saved = admin.put_settings(ADMIN, first.model_copy(update={"name": "Fixers Ltd"}))
    assert (saved.name, saved.version) == ("Fixers Ltd", first.version + 1)
    assert admin.get_settings(ADMIN) == saved
    with pytest.raises(VersionConflict):
        admin.put_settings(ADMIN, MspSettings(name="Stale", version=first.version))
    assert events.types()[-1] == "SettingsUpdated"


def test_admin_events_carry_the_client_they_concern(
    admin: AdminService, refs: Refs, events: RecordingPublisher
) -> None:
    events.events.clear()
    user = create(admin, "end-users", {"client_id": refs.client_b.id, "name": "Bob"})
    admin.update(ADMIN, lookup("clients"), refs.client_b.id, {"unsupported": True}, None)
    admin.update(ADMIN, lookup("teams"), refs.team.id, {"name": "Desk 2"}, None)
    assert [(e.type, e.client_id) for e in events.events] == [
        ("EndUserCreated", refs.client_b.id),
        ("ClientUpdated", refs.client_b.id),
        ("TeamUpdated", None),
    ]
    assert events.events[0].detail == {"id": user.id}
    assert events.events[1].detail["fields"] == ["unsupported"]


def test_an_end_user_scope_reads_its_own_end_user_record(admin: AdminService, refs: Refs) -> None:
    alice = create(admin, "end-users", BODIES["end-users"](refs))
    scope = Scope(role=Role.END_USER, principal_id=alice.id, client_id=refs.client_a.id)
    assert admin.get(scope, lookup("end-users"), alice.id).id == alice.id
    assert admin.get(scope, lookup("clients"), refs.client_a.id).id == refs.client_a.id


def test_a_category_cannot_sit_under_itself(admin: AdminService) -> None:
    categories = lookup("categories")
    hardware = create(admin, "categories", {"name": "Hardware"})
    printers = create(admin, "categories", {"name": "Printers", "parent_id": hardware.id})
    toner = create(admin, "categories", {"name": "Toner", "parent_id": printers.id})
    for category, parent in ((hardware, hardware), (hardware, toner)):
        with pytest.raises(InvalidInput) as refused:
            admin.update(ADMIN, categories, category.id, {"parent_id": parent.id}, None)
        assert refused.value.field == "parent_id"
    moved = admin.update(ADMIN, categories, toner.id, {"parent_id": hardware.id}, None)
    assert moved.parent_id == hardware.id  # type: ignore[attr-defined]
