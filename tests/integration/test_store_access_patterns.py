"""Each access pattern of DESIGN section 4 through the store, read with Query or GetItem only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mspdesk.domain.enums import ActionKind, PresenceActivity, SlaState, TicketStatus
from mspdesk.domain.errors import AlreadyExists, VersionConflict
from mspdesk.domain.models import (
    Action,
    Agent,
    Asset,
    Author,
    Client,
    Contract,
    EndUser,
    Presence,
    SlaClock,
    Stored,
    Ticket,
    TicketSla,
    TimeEntry,
)
from mspdesk.store.dynamo import DynamoStore, QueueFilter
from mspdesk.store.entities import AGENTS, ASSETS, CLIENTS, CONTRACTS, END_USERS, EntityKind
from tests.unit.builders import ADMIN, NoScanClient

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
READS = {"query", "get_item", "batch_get_item"}


@dataclass
class Recorded:
    store: DynamoStore
    client: NoScanClient

    def reads(self) -> set[str]:
        """The operations called since the last look, which must all be reads by key."""
        called = set(self.client.operations)
        self.client.operations.clear()
        return called

    def save(self, kind: EntityKind[Any], entity: Stored) -> Any:
        return self.store.save_entity(kind, entity)


@pytest.fixture
def db(store: DynamoStore) -> Recorded:
    client = NoScanClient(store.db)
    return Recorded(DynamoStore(client, store.table_name), client)


def ticket(number: int, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "number": number,
        "client_id": "cl_a",
        "subject": f"Ticket {number}",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return Ticket(**values)


def action(number: int, body: str, at: datetime) -> Action:
    return Action(
        id=f"act_{number}_{int(at.timestamp())}",
        ticket_number=number,
        kind=ActionKind.NOTE,
        author=Author(kind="agent", id="ag_1"),
        body=body,
        created_at=at,
    )


def test_ap1_a_ticket_comes_with_its_actions_time_entries_and_presence_in_one_query(
    db: Recorded,
) -> None:
    db.store.create_ticket(ticket(1), [action(1, "first", NOW)])
    db.store.create_ticket(ticket(2), [action(2, "not mine", NOW)])
    db.store.save_ticket(
        ticket(1, version=2), expected_version=1, actions=[action(1, "second", NOW + timedelta(1))]
    )
    db.store.add_time_entry(
        TimeEntry(
            id="te_1",
            ticket_number=1,
            client_id="cl_a",
            agent_id="ag_1",
            started_at=NOW,
            minutes=15,
        )
    )
    db.store.put_presence(
        Presence(
            ticket_number=1,
            agent_id="ag_1",
            agent_name="Sam",
            activity=PresenceActivity.VIEWING,
            seen_at=NOW,
            expires_at=NOW + timedelta(seconds=45),
        )
    )
    db.reads()
    record = db.store.get_ticket_record(1, ADMIN, NOW)
    assert record.ticket.version == 2
    assert [a.body for a in record.actions] == ["first", "second"]
    assert [e.id for e in record.time_entries] == ["te_1"]
    assert [p.agent_id for p in record.presence] == ["ag_1"]
    assert db.store.get_ticket(1, ADMIN).number == 1
    assert db.reads() == {"query", "get_item"}


def test_ap1_a_write_with_an_old_version_is_refused(db: Recorded) -> None:
    db.store.create_ticket(ticket(1), [])
    db.store.save_ticket(ticket(1, version=2, subject="Changed"), expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        db.store.save_ticket(ticket(1, version=2, subject="Lost"), expected_version=1)
    assert conflict.value.current == 2
    assert db.store.get_ticket(1, ADMIN).subject == "Changed"
    with pytest.raises(AlreadyExists):
        db.store.create_ticket(ticket(1), [])


def test_ap2_the_queue_reads_an_index(db: Recorded) -> None:
    breached = TicketSla(response=SlaClock(state=SlaState.BREACHED, due_at=NOW))
    db.store.create_ticket(ticket(1, sla=breached, agent_id="ag_1"), [])
    db.store.create_ticket(ticket(2, status=TicketStatus.RESOLVED), [])
    db.reads()
    page = db.store.queue(ADMIN, QueueFilter(agent_id="ag_1", sla="breached"))
    assert [t.number for t in page.items] == [1]
    assert db.store.queue(ADMIN, QueueFilter(client_id="cl_a")).items[0].number == 1
    assert db.reads() == {"query"}


def test_ap3_a_clients_tickets_come_newest_first_in_pages(db: Recorded) -> None:
    for number in range(1, 8):
        db.store.create_ticket(ticket(number, created_at=NOW + timedelta(minutes=number)), [])
    db.store.create_ticket(ticket(99, client_id="cl_b"), [])
    db.reads()
    numbers, cursor = [], None
    while True:
        page = db.store.client_tickets("cl_a", ADMIN, limit=3, cursor=cursor)
        numbers += [t.number for t in page.items]
        if not (cursor := page.next_cursor):
            break
    assert numbers == [7, 6, 5, 4, 3, 2, 1]
    assert db.reads() == {"query"}


def test_ap4_an_end_users_tickets(db: Recorded) -> None:
    db.store.create_ticket(ticket(1, end_user_id="eu_alice"), [])
    db.store.create_ticket(ticket(2, end_user_id="eu_other"), [])
    db.store.create_ticket(ticket(3, end_user_id="eu_alice", created_at=NOW + timedelta(1)), [])
    db.reads()
    page = db.store.end_user_tickets("eu_alice", "cl_a", ADMIN)
    assert [t.number for t in page.items] == [3, 1]
    assert db.reads() == {"query"}


def test_ap5_an_address_finds_its_owner_whatever_its_case(db: Recorded) -> None:
    db.save(CLIENTS, Client(id="cl_a", name="Acme", email_domains=["acme.example"]))
    db.save(
        END_USERS,
        EndUser(id="eu_alice", client_id="cl_a", name="Alice", emails=["alice@acme.example"]),
    )
    db.save(AGENTS, Agent(id="ag_sam", name="Sam", email="sam@msp.example"))
    db.reads()
    alice = db.store.principal_by_email(" Alice@ACME.example")
    assert alice is not None
    assert (alice.kind, alice.id, alice.client_id) == ("end_user", "eu_alice", "cl_a")
    sam = db.store.principal_by_email("SAM@msp.example")
    assert sam is not None
    assert (sam.kind, sam.id, sam.client_id) == ("agent", "ag_sam", None)
    assert db.store.principal_by_email("nobody@acme.example") is None
    assert db.store.client_id_by_domain("ACME.example") == "cl_a"
    assert db.store.client_id_by_domain("other.example") is None
    assert db.reads() == {"get_item"}


def test_ap6_a_phone_number_finds_every_end_user_on_that_line(db: Recorded) -> None:
    shared = "+441623123456"
    for name in ("alice", "bob"):
        db.save(END_USERS, EndUser(id=f"eu_{name}", client_id="cl_a", name=name, phones=[shared]))
    db.save(
        END_USERS, EndUser(id="eu_carol", client_id="cl_b", name="Carol", phones=["+447700900123"])
    )
    db.reads()
    found = db.store.end_users_by_phone(shared)
    assert sorted((p.id, p.client_id) for p in found) == [("eu_alice", "cl_a"), ("eu_bob", "cl_a")]
    assert db.store.end_users_by_phone("+15550000000") == []
    assert db.reads() == {"query"}


def test_ap7_the_sweeper_finds_open_tickets_whose_next_sla_instant_has_passed(
    db: Recorded,
) -> None:
    def running(warn_in: int) -> TicketSla:
        return TicketSla(
            response=SlaClock(
                state=SlaState.RUNNING,
                warn_at=NOW + timedelta(minutes=warn_in),
                due_at=NOW + timedelta(minutes=warn_in + 30),
            )
        )

    db.store.create_ticket(ticket(1, sla=running(-5)), [])
    db.store.create_ticket(ticket(2, sla=running(0)), [])
    db.store.create_ticket(ticket(3, sla=running(5)), [])
    db.store.create_ticket(ticket(4, sla=running(-10), status=TicketStatus.RESOLVED), [])
    db.store.create_ticket(ticket(5), [])  # no SLA
    db.reads()
    assert [t.number for t in db.store.tickets_due_before(NOW)] == [1, 2]
    assert [t.number for t in db.store.tickets_due_before(NOW + timedelta(hours=1))] == [1, 2, 3]
    assert db.reads() == {"query"}


def test_ap8_a_message_id_leads_to_its_ticket_once(db: Recorded) -> None:
    assert db.store.link_message_id("<abc@mail.example>", 7) is True
    assert db.store.link_message_id("<abc@mail.example>", 8) is False  # a redelivered mail
    db.reads()
    assert db.store.ticket_number_by_message_id("<abc@mail.example>") == 7
    assert db.store.ticket_number_by_message_id("<unknown@mail.example>") is None
    assert db.reads() == {"get_item"}


def test_ap8_an_overlong_message_id_is_found_by_the_mail_store_as_by_the_core_store(
    db: Recorded,
) -> None:
    from mspdesk.store.mail import MailStore

    overlong = "<" + "x" * 3000 + "@mail.example>"  # longer than a DynamoDB key may be
    assert db.store.link_message_id(overlong, 9) is True
    mail = MailStore(db.store)
    assert mail.ticket_by_message_id(overlong) == 9
    assert mail.link(overlong, 10) is False  # the same key: already recorded


def test_ap9_a_clients_time_entries_in_a_date_range(db: Recorded) -> None:
    starts = [
        datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 2, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    ]
    for i, started in enumerate(starts):
        for client in ("cl_a", "cl_b"):
            db.store.add_time_entry(
                TimeEntry(
                    id=f"te_{client}_{i}",
                    ticket_number=1,
                    client_id=client,
                    agent_id="ag_1",
                    started_at=started,
                    minutes=30,
                )
            )
    db.reads()
    february = db.store.time_entries_of_client(
        "cl_a", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert [e.id for e in february] == ["te_cl_a_1", "te_cl_a_2"]
    assert db.reads() == {"query"}


def test_ap10_the_contract_in_force_on_a_date(db: Recorded) -> None:
    def contract(cid: str, starts: date, ends: date | None, client: str = "cl_a") -> Contract:
        return Contract(
            id=cid,
            client_id=client,
            name=cid,
            starts_on=starts,
            ends_on=ends,
            sla_plan_id="sla_1",
            calendar_id="cal_1",
        )

    db.save(CONTRACTS, contract("con_old", date(2025, 1, 1), None))
    db.save(CONTRACTS, contract("con_trial", date(2026, 1, 1), date(2026, 1, 31)))
    db.save(CONTRACTS, contract("con_next", date(2026, 6, 1), None))
    db.save(CONTRACTS, contract("con_other", date(2026, 1, 1), None, client="cl_b"))
    db.reads()

    def in_force(day: date) -> str | None:
        found = db.store.contract_in_force("cl_a", day)
        return found.id if found else None

    assert in_force(date(2024, 12, 31)) is None
    assert in_force(date(2025, 6, 1)) == "con_old"
    assert in_force(date(2026, 1, 15)) == "con_trial"
    assert in_force(date(2026, 2, 1)) == "con_old"  # the trial ended; the old one holds
    assert in_force(date(2026, 6, 1)) == "con_next"
    assert db.reads() == {"query"}


def test_ap11_assets_by_client_and_by_end_user(db: Recorded) -> None:
    for aid, client, user in (
        ("asset_1", "cl_a", "eu_alice"),
        ("asset_2", "cl_a", None),
        ("asset_3", "cl_b", "eu_bob"),
    ):
        db.save(ASSETS, Asset(id=aid, client_id=client, name=aid, end_user_id=user))
    db.reads()
    by_client = db.store.list_entities(ASSETS, ADMIN, client_id="cl_a")
    assert sorted(a.id for a in by_client.items) == ["asset_1", "asset_2"]
    assert [a.id for a in db.store.assets_of_end_user("eu_alice").items] == ["asset_1"]
    assert db.reads() == {"query"}


def test_ap12_presence_on_a_ticket_expires_and_can_be_withdrawn(db: Recorded) -> None:
    db.store.create_ticket(ticket(1), [])
    for agent, seen in (("ag_1", NOW), ("ag_2", NOW - timedelta(minutes=5))):
        db.store.put_presence(
            Presence(
                ticket_number=1,
                agent_id=agent,
                agent_name=agent,
                activity=PresenceActivity.VIEWING,
                seen_at=seen,
                expires_at=seen + timedelta(seconds=45),
            )
        )
    db.reads()
    assert [p.agent_id for p in db.store.get_ticket_record(1, ADMIN, NOW).presence] == ["ag_1"]
    assert db.reads() == {"query"}
    db.store.delete_presence(1, "ag_1")
    assert db.store.get_ticket_record(1, ADMIN, NOW).presence == []


def test_ap13_tickets_of_the_last_minutes_across_clients_and_midnight(db: Recorded) -> None:
    midnight = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    for number, minutes_before, client in (
        (1, 30, "cl_a"),
        (2, 10, "cl_b"),
        (3, -5, "cl_c"),  # after midnight, the next UTC day
        (4, 90, "cl_a"),  # outside the window
    ):
        created = midnight - timedelta(minutes=minutes_before)
        db.store.create_ticket(ticket(number, client_id=client, created_at=created), [])
    db.reads()
    now = midnight + timedelta(minutes=10)
    recent = db.store.tickets_created_since(now - timedelta(minutes=60), now)
    assert [t.number for t in recent] == [1, 2, 3]
    assert db.reads() == {"query"}


def test_ticket_numbers_come_from_an_atomic_counter_that_can_be_seeded(db: Recorded) -> None:
    assert db.store.next_ticket_number() == 1
    db.store.seed_ticket_counter(1000)
    assert db.store.next_ticket_number() == 1001
    db.store.seed_ticket_counter(10)  # never moves backwards
    assert db.store.next_ticket_number() == 1002
