"""The local stack's demo data: seeded once for the module against moto's server."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.config import Settings
from mspdesk.domain.enums import ActionKind, Priority, Role, SlaState, TicketStatus, Visibility
from mspdesk.domain.models import Client, Stored, Ticket
from mspdesk.domain.scope import Scope
from mspdesk.local import seed
from mspdesk.runtime import aws_client
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketService
from mspdesk.store import entities as kinds
from mspdesk.store.dynamo import DynamoStore, QueueFilter
from mspdesk.store.entities import EntityKind
from mspdesk.store.table import create_table
from tests.conftest import Clock

E = TypeVar("E", bound=Stored)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning, in business hours
TODAY = NOW.date()
SYSTEM = Scope.system()


@dataclass
class Seeded:
    deps: Deps
    events: RecordingPublisher
    summary: str
    _tickets: dict[str, list[Ticket]] = field(default_factory=dict)

    @property
    def store(self) -> DynamoStore:
        return self.deps.store

    def every(self, kind: EntityKind[E], client_id: str | None = None) -> list[E]:
        out: list[E] = []
        cursor = None
        while True:
            page = self.store.list_entities(kind, SYSTEM, client_id, 100, cursor)
            out.extend(page.items)
            cursor = page.next_cursor
            if not cursor:
                return out

    def clients(self) -> list[Client]:
        return self.every(kinds.CLIENTS)

    def tickets_of(self, client_id: str) -> list[Ticket]:
        """AP3, paged to the end (once: moto's queries read the whole table)."""
        if client_id not in self._tickets:
            out: list[Ticket] = []
            cursor = None
            while True:
                page = self.store.client_tickets(client_id, SYSTEM, 100, cursor)
                out.extend(page.items)
                cursor = page.next_cursor
                if not cursor:
                    break
            self._tickets[client_id] = out
        return self._tickets[client_id]


@pytest.fixture(scope="module")
def seeded(moto_endpoint: str) -> Iterator[Seeded]:
    settings = Settings(
        table_name=f"mspdesk-seed-{os.getpid()}",
        aws_endpoint_url=moto_endpoint,
        local_mode=True,
        dev_token_secret="test-secret-of-at-least-32-bytes-long",
        region="eu-west-2",
    )
    dynamodb = aws_client("dynamodb", settings)
    create_table(dynamodb, settings.table_name)
    events = RecordingPublisher()
    deps = Deps(store=DynamoStore(dynamodb, settings.table_name), events=events, clock=Clock(NOW))
    summary = seed.seed_demo(deps)
    yield Seeded(deps, events, summary)
    dynamodb.delete_table(TableName=settings.table_name)


def test_seeding_says_what_it_made(seeded: Seeded) -> None:
    assert seeded.summary.startswith("Bluefin IT: 7 clients")
    assert "520 resolved tickets" in seeded.summary
    assert "\n" not in seeded.summary


def test_a_second_run_leaves_a_seeded_desk_alone(seeded: Seeded) -> None:
    assert "already present" in seed.seed_demo(seeded.deps)


def test_msp_settings(seeded: Seeded) -> None:
    settings = seeded.store.get_settings()
    assert (settings.name, settings.time_zone, settings.phone_region) == (
        "Bluefin IT",
        "Europe/London",
        "GB",
    )


def test_clients_have_domains_branding_and_a_contract_in_force_today(seeded: Seeded) -> None:
    clients = seeded.clients()
    assert len(clients) >= 5
    plans = {p.id: p for p in seeded.every(kinds.SLA_PLANS)}
    calendars = {c.id: c for c in seeded.every(kinds.CALENDARS)}
    contract_kinds = set()
    for client in clients:
        assert client.email_domains
        assert all(d.endswith(".example") for d in client.email_domains)
        assert client.main_phone
        assert client.main_phone.startswith("+44")
        assert client.branding.display_name
        assert seeded.store.client_id_by_domain(client.email_domains[0]) == client.id
        assert seeded.every(kinds.SITES, client.id)
        contract = seeded.store.contract_in_force(client.id, TODAY)
        assert contract is not None, client.name
        assert contract.sla_plan_id in plans
        assert contract.calendar_id in calendars
        contract_kinds.add(contract.kind.value)
    assert contract_kinds == {"managed", "prepaid_block", "time_and_materials"}
    assert any(c.popup_notes for c in clients)
    assert any(c.unsupported for c in clients)


def test_a_client_moved_plans_and_its_old_contract_is_history(seeded: Seeded) -> None:
    harbour = next(c for c in seeded.clients() if c.name == "Harbour Law LLP")
    plans = {p.id: p.name for p in seeded.every(kinds.SLA_PLANS)}
    now = seeded.store.contract_in_force(harbour.id, TODAY)
    before = seeded.store.contract_in_force(harbour.id, TODAY - timedelta(days=150))
    assert now is not None
    assert before is not None
    assert (plans[now.sla_plan_id], plans[before.sla_plan_id]) == ("Gold", "Silver")


def test_calendars_and_plans(seeded: Seeded) -> None:
    calendars = {c.name: c for c in seeded.every(kinds.CALENDARS)}
    business = calendars["UK business hours (Mon-Fri 08:30-17:30)"]
    assert business.time_zone == "Europe/London"
    assert sorted(business.week) == [1, 2, 3, 4, 5]
    assert {date(2026, 12, 25), date(2026, 12, 28), date(2027, 3, 26)} <= set(business.holidays)
    assert {"24x7", "Out of hours (weeknights 17:30-08:30, weekends)"} <= set(calendars)
    plans = {p.name: p for p in seeded.every(kinds.SLA_PLANS)}
    assert {"Gold", "Silver", "Bronze"} <= set(plans)
    demo = plans["Demo: two-minute P1 (calendar hours)"].targets[Priority.P1]
    assert (demo.response_minutes, demo.business_hours) == (2, False)


def test_bank_holidays_listed_agree_with_the_rules() -> None:
    for year in (2025, 2026, 2027, 2028):
        assert seed.uk_bank_holidays(year) == seed.bank_holidays_by_rule(year), year
    assert seed.bank_holidays_by_rule(2027)[-2:] == [date(2027, 12, 27), date(2027, 12, 28)]


def test_end_users_vips_and_popups(seeded: Seeded) -> None:
    people = []
    for client in seeded.clients():
        for person in seeded.every(kinds.END_USERS, client.id):
            people.append(person)
            domain = person.emails[0].split("@")[1]
            assert domain in client.email_domains
            assert person.phones
            assert all(p.startswith("+44") for p in person.phones)
            found = seeded.store.principal_by_email(person.emails[0].upper())
            assert found is not None
            assert (found.kind, found.id, found.client_id) == ("end_user", person.id, client.id)
        last = people[-1]  # AP6, once a client: each lookup is a query
        by_phone = seeded.store.end_users_by_phone(last.phones[0])
        assert [(p.id, p.client_id) for p in by_phone] == [(last.id, client.id)]
    assert len(people) >= 20
    assert sum(p.vip for p in people) >= 3
    assert sum(bool(p.popup_notes) for p in people) >= 2
    assert any(p.unsupported for p in people)


def test_agents_teams_and_categories(seeded: Seeded) -> None:
    agents = seeded.every(kinds.AGENTS)
    teams = {t.id: t for t in seeded.every(kinds.TEAMS)}
    assert len(agents) >= 6
    assert len(teams) >= 2
    assert len({t for a in agents for t in a.team_ids}) >= 2
    assert [a.email for a in agents if a.role is Role.ADMIN] == ["sarah.m@bluefin-it.example"]
    for agent in agents:
        assert agent.email.endswith("@bluefin-it.example")
        assert agent.skills
        assert agent.team_ids
        found = seeded.store.principal_by_email(agent.email)
        assert found is not None
        assert (found.kind, found.id) == ("agent", agent.id)
    categories = seeded.every(kinds.CATEGORIES)
    assert {"Hardware", "Email", "Network & VPN", "Printing & scanning", "Security"} <= {
        c.name for c in categories
    }
    assert all(c.default_team_id in teams for c in categories)
    assert any(c.parent_id for c in categories)


def test_end_users_have_assets_with_remote_access(seeded: Seeded) -> None:
    tools = set()
    for client in seeded.clients():
        for person in seeded.every(kinds.END_USERS, client.id):
            assets = seeded.store.assets_of_end_user(person.id).items
            assert person.unsupported or assets, person.name
            for asset in assets:
                assert asset.client_id == client.id
                assert asset.remote_access
                tools |= {r.kind.value for r in asset.remote_access}
                assert all(r.launch_url for r in asset.remote_access)
        assert any(a.kind == "server" for a in seeded.every(kinds.ASSETS, client.id))
    assert tools == {"splashtop", "teamviewer", "rdp"}


def test_history_of_resolved_tickets_per_client(seeded: Seeded) -> None:
    agents = {a.id for a in seeded.every(kinds.AGENTS)}
    categories = {c.id for c in seeded.every(kinds.CATEGORIES)}
    resolved: list[Ticket] = []
    for client in seeded.clients():
        tickets = seeded.tickets_of(client.id)
        created = [t.created_at for t in tickets]
        assert created == sorted(created, reverse=True)  # newest first
        resolved += [t for t in tickets if t.status is TicketStatus.RESOLVED]
    assert len(resolved) >= 500
    for ticket in resolved:
        assert ticket.category_id in categories
        assert ticket.agent_id in agents
        assert ticket.team_id
        assert ticket.resolved_at
        assert ticket.first_response_at
        assert ticket.created_at < ticket.first_response_at < ticket.resolved_at < NOW
        assert ticket.contract_id
        assert ticket.sla.plan_id
        assert ticket.sla.resolution
        assert ticket.sla.resolution.state in (
            SlaState.MET,
            SlaState.BREACHED,
        )
    oldest = min(t.created_at for t in resolved)
    assert NOW - timedelta(days=190) < oldest < NOW - timedelta(days=150)
    states = Counter(t.sla.response.state for t in resolved if t.sla.response)
    assert states[SlaState.MET] > states[SlaState.BREACHED] > 0


def test_history_tickets_carry_their_story(seeded: Seeded) -> None:
    client = seeded.clients()[0]
    tickets = [t for t in seeded.tickets_of(client.id) if t.status is TicketStatus.RESOLVED]
    with_note = 0
    for ticket in tickets[:15]:
        record = seeded.store.get_ticket_record(ticket.number, SYSTEM, NOW)
        first = record.actions[0]
        assert first.body
        assert first.created_at == ticket.created_at
        replies = [
            a
            for a in record.actions
            if a.visibility is Visibility.PUBLIC and a.author.kind == "agent" and a is not first
        ]
        assert replies
        assert replies[0].created_at == ticket.first_response_at
        with_note += any(
            a.visibility is Visibility.PRIVATE and a.kind is ActionKind.NOTE for a in record.actions
        )
    assert 0 < with_note < 15


def test_history_is_what_the_plan_says(seeded: Seeded) -> None:
    planned = Counter(t.subject for t in seed.plan_history(NOW))
    stored = Counter(
        t.subject
        for c in seeded.clients()
        for t in seeded.tickets_of(c.id)
        if t.status is TicketStatus.RESOLVED
    )
    assert stored == planned


def test_the_plan_is_deterministic() -> None:
    first, second = seed.plan_history(NOW), seed.plan_history(NOW)
    assert [t.subject for t in first] == [t.subject for t in second]
    assert first == second
    assert seed.plan_open_tickets() == seed.plan_open_tickets()
    other = seed.plan_history(NOW, seed=seed.SEED + 1)
    assert [t.subject for t in other] != [t.subject for t in first]


def test_similar_problems_recur_across_clients() -> None:
    history = seed.plan_history(NOW)
    clients_of: dict[str, set[str]] = defaultdict(set)
    for ticket in history:
        clients_of[ticket.template].add(ticket.client)
    assert sum(len(c) >= 3 for c in clients_of.values()) >= 0.9 * len(seed.TEMPLATES)
    subjects: dict[str, set[str]] = defaultdict(set)
    for ticket in history:
        subjects[ticket.subject].add(ticket.client)
    assert any(len(c) >= 3 for c in subjects.values())
    assert len(subjects) > 100  # varied wording, not one subject per template
    # Each kind of problem has a usual assignee: what a similarity vote can learn.
    for template in ("outlook_password", "vpn_drops", "backup_failed", "phishing"):
        agents = Counter(t.agent for t in history if t.template == template)
        assert agents.most_common(1)[0][1] >= 0.4 * sum(agents.values()), template


def test_open_tickets_in_the_queue(seeded: Seeded) -> None:
    page = seeded.store.queue(SYSTEM, QueueFilter(), limit=100)
    queue = page.items
    assert page.next_cursor is None
    assert 15 <= len(queue) <= 31
    assert {t.status for t in queue} >= {
        TicketStatus.NEW,
        TicketStatus.OPEN,
        TicketStatus.WAITING_ON_CUSTOMER,
    }
    assert any(t.agent_id for t in queue)
    assert any(t.agent_id is None for t in queue)
    assert {t.priority for t in queue} == set(Priority)
    assert len({t.client_id for t in queue}) >= 5
    states = {t.queue_sla_state for t in queue}
    assert SlaState.BREACHED in states
    assert SlaState.WARNING in states
    assert SlaState.PAUSED in states
    # The stored state is current: the sweep ran after the stories were replayed.
    tickets = TicketService(seeded.deps)
    for ticket in queue:
        fresh = tickets.with_sla(ticket, NOW)
        assert fresh.queue_sla_state == ticket.queue_sla_state, ticket.subject
        assert fresh.queue_due_at == ticket.queue_due_at, ticket.subject
    assert seeded.events.types().count("TicketCreated") == len(queue)


def test_the_demo_ticket_warns_then_breaches(seeded: Seeded) -> None:
    queue = seeded.store.queue(SYSTEM, QueueFilter(priority="P1"), limit=100).items
    demo = next(t for t in queue if t.subject == seed.DEMO_TICKET.subject)
    assert demo.agent_id is None
    assert demo.first_response_at is None
    assert demo.sla.response
    assert demo.sla.response.due_at == demo.created_at + timedelta(minutes=2)
    assert demo.number > max(t.number for t in queue if t is not demo)
    tickets = TicketService(seeded.deps)
    states = [
        tickets.with_sla(demo, demo.created_at + timedelta(seconds=s)).queue_sla_state
        for s in (30, 100, 130)
    ]
    assert states == [SlaState.RUNNING, SlaState.WARNING, SlaState.BREACHED]


def test_every_demo_person_can_sign_in(seeded: Seeded) -> None:
    emails = [a.email for a in seeded.every(kinds.AGENTS)] + [
        p.emails[0] for c in seeded.clients() for p in seeded.every(kinds.END_USERS, c.id)
    ]
    assert len(emails) >= 26
    assert all(seeded.store.principal_by_email(e) is not None for e in emails)
