"""AI triage end to end through the services (issue 5): a history of resolved tickets indexed
by the local text model in an embedded index kept in moto's S3, routing rules from the admin
service, the Anthropic method against a fake Messages API and OpenSearch against a fake
cluster. Events are delivered by hand, in the order the publisher recorded them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from mspdesk.adapters.blobs import S3Blobs
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.config import Settings
from mspdesk.domain.enums import Priority, TicketStatus, TriageMode
from mspdesk.domain.errors import VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import Agent, Category, Team, Ticket
from mspdesk.domain.scope import Scope
from mspdesk.domain.triage import RoutingRule, TriageMethod, TriageOutcome, TriageRecord
from mspdesk.runtime import aws_client
from mspdesk.services.admin import AdminService, lookup
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import TicketInput, TicketPatch, TicketService
from mspdesk.services.triage import TriageReview, TriageService
from mspdesk.store.dynamo import DynamoStore
from mspdesk.store.triage import TriageStore
from mspdesk.triage.llm_method import AnthropicMethod
from mspdesk.triage.opensearch_index import OpenSearchIndex, opensearch_client
from mspdesk.triage.vectors import Vectors
from tests.conftest import Clock
from tests.fakes.fake_anthropic import API_KEY, FakeAnthropic
from tests.fakes.fake_opensearch import FakeOpenSearch
from tests.unit.builders import (
    ADMIN,
    Desk,
    FixedClock,
    agent_scope,
    build_desk,
    make,
    shared_deps,
)

MODEL = "claude-haiku-4-5"

PRINTER_HISTORY = [
    ("Printer jammed on the second floor", "The second floor printer has a paper jam again."),
    ("Toner low on the accounts printer", "The accounts printer says the toner is low."),
    ("Paper jam in the HP LaserJet", "Paper keeps jamming in tray 2 of the LaserJet printer."),
    ("Printer prints blank pages", "Every page from the reception printer comes out blank."),
    ("Cannot print to the warehouse printer", "Print jobs to the warehouse printer never print."),
    ("Printer out of paper error", "The printer reports out of paper although the tray is full."),
    ("Replace toner cartridge", "Please replace the black toner cartridge in the printer."),
    ("Printer streaks on every page", "The colour printer leaves toner streaks on every page."),
    ("Paper jam again", "Paper jam in the rear tray of the printer; the sheet tore."),
    ("Label printer not printing", "The label printer feeds paper but prints nothing."),
    ("Printer offline", "The printer shows as offline and nothing will print."),
    ("Printer jams paper when scanning", "The multifunction printer jams paper in the feeder."),
    ("New toner needed", "Toner is empty on the finance printer; pages print faint."),
    ("Printer grinding noise", "The printer grinds and jams the paper halfway through."),
    ("Duplex printing jams", "Double-sided printing jams paper in the printer's duplex unit."),
]
NETWORK_HISTORY = [
    ("VPN keeps disconnecting", "The VPN connection drops every ten minutes from home."),
    ("Wifi drops in the meeting room", "The wifi in the meeting room drops; network unreachable."),
    ("Network drop at the Leeds office", "The whole office lost the network connection twice."),
    ("Cannot connect to VPN", "The VPN client says gateway unreachable over the hotel wifi."),
    ("Wireless signal weak upstairs", "The wifi signal upstairs is weak and the network drops."),
    ("Slow network", "The network is slow and connections to the file server drop."),
    ("VPN authentication fails", "VPN login fails since the password change; no network."),
    ("Internet down at the branch", "No internet or network at the branch; the router is orange."),
    ("Wifi password not accepted", "Laptops cannot join the office wifi network any more."),
    ("VPN tunnel drops on video calls", "The VPN tunnel drops whenever a video call starts."),
    ("Network switch failure", "Half the desks lost the network after the switch rebooted."),
    ("Guest wifi not working", "Visitors cannot connect to the guest wifi network."),
    ("VPN very slow", "Through the VPN the network drives are slow and the connection drops."),
    ("Ethernet port dead", "The network port at desk 14 gives no connection."),
    ("Remote access down", "Remote staff cannot connect to the VPN or the network at all."),
]
NEW_PRINTER = ("Printer jammed and low on toner", "The reception printer jams paper; toner is low.")
# Printer words and network words: the neighbours disagree, so the confidence stays below 1.
NEW_MIXED = (
    "Printer keeps dropping off the wifi network",
    "The printer loses its wifi network connection and print jobs never print.",
)
NEW_VPN = (
    "VPN drops all the time",
    "My VPN connection keeps dropping; the network is unreachable.",
)


# --- the desk and its history ------------------------------------------------------------------


@dataclass
class History:
    """Fifteen printer tickets (Hardware, the service desk team, mostly Sam, P4) and fifteen
    network tickets (Network, the network team, mostly Nia, P2), all resolved."""

    desk: Desk
    hardware: Category
    network: Category
    network_team: Team
    nia: Agent
    omar: Agent
    printer_numbers: list[int]
    network_numbers: list[int]

    @property
    def numbers(self) -> set[int]:
        return {*self.printer_numbers, *self.network_numbers}


class Bus:
    """Delivers the recorded events to triage as the EventBridge rule would, in order; the
    events triage's own writes publish are delivered too."""

    def __init__(self, events: RecordingPublisher) -> None:
        self.events = events
        self.seen = 0

    def skip(self) -> None:
        self.seen = len(self.events.events)

    def deliver(self, service: TriageService) -> list[TriageRecord | None]:
        results: list[TriageRecord | None] = []
        while self.seen < len(self.events.events):
            event = self.events.events[self.seen]
            self.seen += 1
            detail = event.detail
            if event.type == "TicketCreated":
                results.append(service.triage_new(detail["number"], detail.get("chosen", [])))
            elif event.type == "TicketUpdated":
                service.ticket_changed(
                    detail["number"], detail["changes"], detail["by"], detail["was"]
                )
        return results


@pytest.fixture
def bus(events: RecordingPublisher) -> Bus:
    return Bus(events)


@pytest.fixture(scope="module")
def s3(moto_endpoint: str) -> Any:
    # One client for the module: making a boto3 client costs more than a test's S3 calls.
    return aws_client("s3", Settings(aws_endpoint_url=moto_endpoint, region="eu-west-2"))


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"mspdesk-triage-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return name


def new_vectors(deps: Deps, s3: Any, bucket: str, **adapters: Any) -> Vectors:
    return Vectors(TriageStore(deps.store), S3Blobs(s3), bucket, **adapters)


@pytest.fixture
def vectors(deps: Deps, s3: Any, bucket: str) -> Vectors:
    return new_vectors(deps, s3, bucket)


@pytest.fixture
def service(deps: Deps, vectors: Vectors) -> TriageService:
    return TriageService(deps, vectors)


def build_history(desk: Desk, clock: FixedClock) -> History:
    admin, tickets = desk.admin, desk.tickets
    network = make(admin, "categories", {"name": "Network"})
    network_team = make(admin, "teams", {"name": "Network team"})
    nia = make(
        admin,
        "agents",
        {"name": "Nia Network", "email": "nia@msp.example", "team_ids": [network_team.id]},
    )
    omar = make(
        admin,
        "agents",
        {"name": "Omar Network", "email": "omar@msp.example", "team_ids": [network_team.id]},
    )
    kinds = [
        (PRINTER_HISTORY, desk.category.id, desk.team.id, [desk.agent, desk.other_agent], "P4"),
        (NETWORK_HISTORY, network.id, network_team.id, [nia, omar], "P2"),
    ]
    numbers: list[list[int]] = [[], []]
    for kind, (texts, category_id, team_id, (usual, sometimes), priority) in enumerate(kinds):
        for i, (subject, body) in enumerate(texts):
            client, end_user = (
                (desk.client_a, desk.alice) if i % 2 == 0 else (desk.client_b, desk.bob)
            )
            ticket = tickets.create(
                ADMIN,
                TicketInput(
                    client_id=client.id,
                    end_user_id=end_user.id,
                    subject=subject,
                    body=body,
                    priority=Priority(priority),
                    category_id=category_id,
                    team_id=team_id,
                    agent_id=(sometimes if i % 3 == 2 else usual).id,
                ),
            )
            clock.now += timedelta(minutes=20 + 3 * i)
            tickets.update(ADMIN, ticket.number, ticket.version, TicketPatch(status="resolved"))
            numbers[kind].append(ticket.number)
    clock.now += timedelta(days=1)
    return History(desk, desk.category, network, network_team, nia, omar, *numbers)


@dataclass
class Template:
    store: DynamoStore
    history: History
    now: datetime


@pytest.fixture(scope="module")
def template(moto_endpoint: str) -> Iterator[Template]:
    """The desk and its history, raised and resolved through the services once per module;
    each test gets a copy of its items in a table of its own."""
    clock = FixedClock()
    with shared_deps(moto_endpoint, clock) as deps:
        history = build_history(build_desk(deps), clock)
        yield Template(deps.store, history, clock.now)


def copy_items(source: DynamoStore, target: DynamoStore) -> None:
    pages = source.db.get_paginator("scan").paginate(TableName=source.table_name)
    items = [item for page in pages for item in page["Items"]]
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        pending: dict[str, Any] = {target.table_name: requests}
        while pending:
            pending = target.db.batch_write_item(RequestItems=pending)["UnprocessedItems"]


@pytest.fixture
def history(template: Template, deps: Deps, clock: Clock) -> History:
    copy_items(template.store, deps.store)
    clock.now = template.now
    desk = replace(
        template.history.desk, deps=deps, admin=AdminService(deps), tickets=TicketService(deps)
    )
    return replace(template.history, desk=desk)


@pytest.fixture
def desk(history: History) -> Desk:
    return history.desk


@pytest.fixture
def indexed(history: History, service: TriageService) -> History:
    assert service.reindex().count == len(history.numbers)
    return history


@pytest.fixture
def anthropic() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic()
    yield fake
    fake.close()


def anthropic_method(deps: Deps, fake: FakeAnthropic) -> AnthropicMethod:
    return AnthropicMethod(
        deps, api_key=lambda: API_KEY, default_model=MODEL, timeout_seconds=2, base_url=fake.url
    )


@pytest.fixture
def cluster() -> Iterator[FakeOpenSearch]:
    fake = FakeOpenSearch()
    yield fake
    fake.close()


# --- helpers -------------------------------------------------------------------------------------


def set_triage(deps: Deps, **changes: Any) -> None:
    settings = deps.store.get_settings()
    triage = settings.triage.model_copy(update=changes)
    deps.store.put_settings(settings.model_copy(update={"triage": triage}))


def rule(desk: Desk, name: str, conditions: dict[str, Any], actions: dict[str, Any]) -> RoutingRule:
    created: RoutingRule = make(
        desk.admin,
        "routing-rules",
        {"name": name, "order": 10, "conditions": conditions, "actions": actions},
    )
    return created


def raise_ticket(
    desk: Desk, clock: Clock, text: tuple[str, str], scope: Scope | None = None, **fields: Any
) -> Ticket:
    """A ticket raised by Alice on the portal (or by `scope`); triage runs a minute later."""
    subject, body = text
    ticket = desk.ticket(scope or desk.alice_scope, subject=subject, body=body, **fields)
    clock.now += timedelta(minutes=1)
    return ticket


def triaged(
    desk: Desk, clock: Clock, bus: Bus, service: TriageService, text: tuple[str, str], **kw: Any
) -> tuple[Ticket, TriageRecord]:
    """Raises a ticket and delivers its events; the ticket as triage left it."""
    ticket = raise_ticket(desk, clock, text, **kw)
    [record] = bus.deliver(service)
    assert record is not None
    return current(desk, ticket.number), record


def created_event(bus: Bus, number: int) -> DomainEvent:
    [event] = [
        e for e in bus.events.events if e.type == "TicketCreated" and e.detail["number"] == number
    ]
    return event


def current(desk: Desk, number: int) -> Ticket:
    return desk.deps.store.get_ticket(number, ADMIN, consistent=True)


def stored_record(desk: Desk, number: int) -> TriageRecord:
    record = TriageStore(desk.deps.store).get(number, consistent=True)
    assert record is not None
    return record


def agent_update(desk: Desk, clock: Clock, who: Agent, number: int, **fields: Any) -> Ticket:
    clock.now += timedelta(minutes=5)
    ticket = current(desk, number)
    return desk.tickets.update(agent_scope(who), number, ticket.version, TicketPatch(**fields))


# --- the vector method ---------------------------------------------------------------------------


def test_new_printer_ticket_is_categorised_and_assigned_from_similar_resolved_tickets(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    ticket, record = triaged(desk, clock, bus, service, NEW_PRINTER)

    assert record.method is TriageMethod.VECTOR
    assert record.outcome is TriageOutcome.APPLIED  # the default threshold, 0.6
    assert record.confidence >= record.threshold == 0.6
    assert ticket.category_id == indexed.hardware.id
    assert ticket.team_id == desk.team.id
    assert ticket.agent_id in {desk.agent.id, desk.other_agent.id}
    assert ticket.priority is Priority.P4
    assert record.applied == {
        "category_id": indexed.hardware.id,
        "team_id": desk.team.id,
        "agent_id": ticket.agent_id,
        "priority": "P4",
    }
    assert len(record.neighbours) == 5
    assert {n.number for n in record.neighbours} <= set(indexed.printer_numbers)
    assert all(0 < n.similarity <= 1 for n in record.neighbours)
    assert [n.similarity for n in record.neighbours] == sorted(
        (n.similarity for n in record.neighbours), reverse=True
    )
    assert record.estimated_minutes is not None
    assert 20 <= record.estimated_minutes <= 20 + 3 * 14
    assert record.latency_ms >= 0
    assert record.fallbacks == []
    assert TicketService(desk.deps).detail(ADMIN, ticket.number).triage == record


def test_below_the_threshold_triage_only_suggests_and_an_agent_accepts_it(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    set_triage(desk.deps, confidence_threshold=0.99)
    raised = raise_ticket(desk, clock, NEW_MIXED)
    [record] = bus.deliver(service)

    assert record is not None
    assert record.outcome is TriageOutcome.SUGGESTED
    assert 0 < record.confidence < 0.99
    assert record.applied == {}
    assert record.suggested["category_id"] in {indexed.hardware.id, indexed.network.id}
    assert record.suggested["team_id"] in {desk.team.id, indexed.network_team.id}
    ticket = current(desk, raised.number)
    assert (ticket.category_id, ticket.team_id, ticket.agent_id) == (None, None, None)
    assert ticket.version == raised.version

    review = TriageReview(desk.deps)
    moved = desk.tickets.update(
        desk.agent_scope, ticket.number, ticket.version, TicketPatch(subject="Reception printer")
    )
    with pytest.raises(VersionConflict):
        review.accept(ADMIN, ticket.number, ticket.version)
    assert current(desk, ticket.number).category_id is None

    accepted = review.accept(ADMIN, ticket.number, moved.version)

    assert {name: getattr(accepted, name) for name in record.suggested} == record.suggested
    assert current(desk, ticket.number) == accepted
    assert stored_record(desk, ticket.number).accepted_by == ADMIN.principal_id


# --- routing rules -------------------------------------------------------------------------------


def test_a_routing_rule_settles_team_and_priority_and_ai_fills_the_category(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    escalations = make(desk.admin, "teams", {"name": "Escalations"})
    vpn = rule(
        desk,
        "VPN to escalations",
        {"keywords": ["vpn"]},
        {"team_id": escalations.id, "priority": "P1"},
    )

    ticket, record = triaged(desk, clock, bus, service, NEW_VPN)

    neighbours = {n.number for n in record.neighbours}
    assert neighbours <= set(indexed.network_numbers)  # who would have voted for the network team
    assert ticket.team_id == escalations.id
    assert ticket.priority is Priority.P1
    assert ticket.category_id == indexed.network.id
    assert record.method is TriageMethod.VECTOR
    assert record.rules == {"team_id": vpn.id, "priority": vpn.id}
    assert "team_id" not in record.suggested
    assert "priority" not in record.suggested
    assert record.suggested["category_id"] == indexed.network.id
    assert record.applied["team_id"] == escalations.id
    assert record.applied["priority"] == "P1"


def test_a_skill_rule_assigns_the_least_loaded_available_agent_with_the_skill(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    admin = desk.admin
    kim = admin.update(ADMIN, lookup("agents"), desk.other_agent.id, {"skills": ["Printers"]}, None)
    pat = make(
        admin, "agents", {"name": "Pat Print", "email": "pat@msp.example", "skills": ["printers"]}
    )
    una = make(
        admin,
        "agents",
        {
            "name": "Una Away",
            "email": "una@msp.example",
            "skills": ["printers"],
            "available": False,
        },
    )
    for who, count in ((kim, 3), (pat, 1)):
        for _ in range(count):
            desk.ticket(ADMIN, subject="Other work", body="Something else.", agent_id=who.id)
    bus.skip()
    printers = rule(
        desk, "Printers by skill", {"keywords": ["printer"]}, {"required_skill": "printers"}
    )

    ticket, record = triaged(desk, clock, bus, service, NEW_PRINTER)

    assert ticket.agent_id == pat.id
    assert ticket.agent_id != una.id
    assert record.rules["agent_id"] == printers.id
    assert record.applied["agent_id"] == pat.id
    assert "agent_id" not in record.suggested


def test_a_skill_nobody_available_has_is_reported_once_and_the_vote_assigns(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    rule(desk, "Plotters by skill", {"keywords": ["printer"]}, {"required_skill": "plotters"})

    ticket, record = triaged(desk, clock, bus, service, NEW_PRINTER)

    assert ticket.agent_id in {desk.agent.id, desk.other_agent.id}
    assert "agent_id" not in record.rules
    assert record.fallbacks == ["rules: nobody available with skill plotters"]


# --- events delivered again, agents' changes, the history growing --------------------------------


def test_a_redelivered_ticket_created_event_changes_nothing(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    ticket, record = triaged(desk, clock, bus, service, NEW_PRINTER)
    created = created_event(bus, ticket.number)
    clock.now += timedelta(minutes=1)

    again = service.triage_new(created.detail["number"], created.detail.get("chosen", []))

    assert again is None
    assert current(desk, ticket.number).version == ticket.version
    store = TriageStore(desk.deps.store)
    assert store.get(ticket.number, consistent=True) == record
    window = list(store.triaged_between(clock.now - timedelta(hours=1), clock.now))
    assert [r.ticket_number for r in window] == [ticket.number]


def test_an_agents_change_of_a_triaged_field_counts_against_accuracy(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    changed, record = triaged(desk, clock, bus, service, NEW_PRINTER)
    kept, _ = triaged(
        desk,
        clock,
        bus,
        service,
        NEW_PRINTER,
        scope=desk.bob_scope,
        client_id=desk.client_b.id,
        end_user_id=desk.bob.id,
    )
    assert record.applied["team_id"] == record.suggested["team_id"] == desk.team.id
    # Triage's own writes were delivered back to it as TicketUpdated by "system".
    assert any(e.detail.get("by") == "system" for e in bus.events.events)
    assert stored_record(desk, changed.number).overrides == {}

    kim = desk.other_agent
    agent_update(desk, clock, kim, changed.number, team_id=indexed.network_team.id)
    bus.deliver(service)

    override = stored_record(desk, changed.number).overrides["team_id"]
    assert (override.suggested, override.final) == (desk.team.id, indexed.network_team.id)
    assert override.agent_id == kim.id
    report = TriageReview(desk.deps).stats(
        ADMIN, clock.now - timedelta(days=1), clock.now + timedelta(days=1)
    )
    assert report["overall"]["triaged"] == 2
    assert report["methods"]["vector"]["accuracy"] < 1
    assert report["methods"]["vector"]["fields"]["team_id"] == {
        "kept": 1,
        "suggested": 2,
        "accuracy": 0.5,
    }
    assert report["clients"][desk.client_a.id]["accuracy"] < 1
    assert report["clients"][desk.client_b.id]["accuracy"] == 1
    assert kept.client_id == desk.client_b.id


def test_a_resolved_ticket_joins_the_history_and_leaves_it_when_reopened(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService, vectors: Vectors
) -> None:
    ticket = raise_ticket(desk, clock, NEW_PRINTER)
    bus.skip()  # its triage is not what this test is about
    before = vectors.state().count
    text = " ".join(NEW_PRINTER)

    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.RESOLVED)
    bus.deliver(service)

    assert vectors.state().count == before + 1
    assert ticket.number in {n.ticket.number for n in vectors.neighbours(text, 5)}

    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.OPEN)
    bus.deliver(service)

    assert vectors.state().count == before
    assert ticket.number not in {n.ticket.number for n in vectors.neighbours(text, 5)}


def test_only_a_reopening_takes_a_ticket_out_of_the_history(
    indexed: History,
    desk: Desk,
    clock: Clock,
    bus: Bus,
    service: TriageService,
    vectors: Vectors,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An open ticket moving to waiting was never indexed: no delete goes to the index."""
    removed: list[int] = []
    real_remove = vectors.remove
    monkeypatch.setattr(vectors, "remove", lambda n: (removed.append(n), real_remove(n)))
    ticket = raise_ticket(desk, clock, NEW_PRINTER)
    bus.skip()

    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.WAITING_ON_CUSTOMER)
    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.OPEN)
    bus.deliver(service)
    assert removed == []

    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.RESOLVED)
    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.OPEN)
    bus.deliver(service)
    assert removed == [ticket.number]


# --- the LLM method and the fallbacks ------------------------------------------------------------


def network_answer(history: History, **changes: Any) -> dict[str, Any]:
    return {
        "reasoning": "A user's VPN drops: a network fault for the network team.",
        "category_id": history.network.id,
        "priority": "P2",
        "team_id": history.network_team.id,
        "agent_id": history.nia.id,
        "estimated_minutes": 45,
        "confidence": 0.9,
        **changes,
    }


def test_llm_mode_triages_with_the_anthropic_answer(
    history: History,
    desk: Desk,
    clock: Clock,
    bus: Bus,
    vectors: Vectors,
    anthropic: FakeAnthropic,
) -> None:
    set_triage(desk.deps, mode=TriageMode.LLM)
    anthropic.answer(network_answer(history))
    service = TriageService(desk.deps, vectors, anthropic_method(desk.deps, anthropic))

    ticket, record = triaged(desk, clock, bus, service, NEW_VPN)

    assert record.method is TriageMethod.LLM
    assert record.outcome is TriageOutcome.APPLIED
    assert record.reasoning == network_answer(history)["reasoning"]
    assert record.model == MODEL
    assert record.estimated_minutes == 45
    assert record.neighbours == []
    assert ticket.category_id == history.network.id
    assert ticket.team_id == history.network_team.id
    assert ticket.agent_id == history.nia.id
    assert ticket.priority is Priority.P2
    [request] = anthropic.requests
    assert NEW_VPN[1] in request.body["messages"][0]["content"]


def test_an_overloaded_llm_falls_back_to_the_vector_method(
    indexed: History,
    desk: Desk,
    clock: Clock,
    bus: Bus,
    vectors: Vectors,
    anthropic: FakeAnthropic,
) -> None:
    set_triage(desk.deps, mode=TriageMode.LLM)
    anthropic.fail(529)
    service = TriageService(desk.deps, vectors, anthropic_method(desk.deps, anthropic))

    ticket, record = triaged(desk, clock, bus, service, NEW_VPN)

    assert record.method is TriageMethod.VECTOR
    [fallback] = record.fallbacks
    assert fallback.startswith("llm:")
    assert "529" in fallback
    assert record.model is None
    assert len(record.neighbours) == 5
    assert ticket.category_id == indexed.network.id


def test_an_overloaded_llm_and_no_history_leave_the_rules_alone(
    deps: Deps,
    clock: Clock,
    bus: Bus,
    vectors: Vectors,
    anthropic: FakeAnthropic,
) -> None:
    desk = build_desk(deps)
    set_triage(desk.deps, mode=TriageMode.LLM)
    anthropic.fail(529)
    printers = rule(
        desk, "Printers", {"keywords": ["printer"]}, {"team_id": desk.team.id, "priority": "P2"}
    )
    service = TriageService(desk.deps, vectors, anthropic_method(desk.deps, anthropic))

    ticket, record = triaged(desk, clock, bus, service, NEW_PRINTER)

    assert record.method is TriageMethod.RULES
    assert record.outcome is TriageOutcome.RULES_ONLY
    assert [f.split(":")[0] for f in record.fallbacks] == ["llm", "vector"]
    assert "529" in record.fallbacks[0]
    assert record.suggested == {}
    assert record.rules == {"team_id": printers.id, "priority": printers.id}
    assert ticket.team_id == desk.team.id
    assert ticket.priority is Priority.P2
    assert ticket.category_id is None


@pytest.mark.parametrize("with_llm", [True, False], ids=["to-llm", "to-rules"])
def test_opensearch_down_falls_back_and_says_why(
    history: History,
    desk: Desk,
    clock: Clock,
    bus: Bus,
    s3: Any,
    bucket: str,
    cluster: FakeOpenSearch,
    anthropic: FakeAnthropic,
    with_llm: bool,
) -> None:
    index = OpenSearchIndex(lambda: opensearch_client(cluster.url, timeout=0.5), "mspdesk-triage")
    vectors = new_vectors(desk.deps, s3, bucket, index=index)
    llm = anthropic_method(desk.deps, anthropic) if with_llm else None
    service = TriageService(desk.deps, vectors, llm)
    assert service.reindex().count == len(history.numbers)
    set_triage(desk.deps, mode=TriageMode.VECTOR)
    vpn = rule(desk, "VPN", {"keywords": ["vpn"]}, {"team_id": history.network_team.id})
    anthropic.answer(network_answer(history))
    cluster.fail_with = 503

    ticket, record = triaged(desk, clock, bus, service, NEW_VPN)

    assert record.fallbacks[0].startswith("vector:")
    assert "OpenSearch search" in record.fallbacks[0]
    assert ticket.team_id == history.network_team.id
    if with_llm:
        assert record.method is TriageMethod.LLM
        assert len(record.fallbacks) == 1
        assert ticket.category_id == history.network.id
    else:
        assert record.method is TriageMethod.RULES
        assert record.outcome is TriageOutcome.RULES_ONLY
        assert record.fallbacks[1] == "llm: no Anthropic API key configured"
        assert record.rules == {"team_id": vpn.id}
        assert ticket.category_id is None


# --- what triage leaves alone --------------------------------------------------------------------


def test_triage_never_assigns_an_inactive_agent(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    sam = desk.agent  # resolved two thirds of the printer tickets
    desk.admin.update(ADMIN, lookup("agents"), sam.id, {"active": False}, None)

    ticket, record = triaged(desk, clock, bus, service, NEW_PRINTER)

    assert ticket.category_id == indexed.hardware.id
    assert ticket.agent_id in {desk.other_agent.id, None}
    assert record.suggested.get("agent_id") in {desk.other_agent.id, None}


def test_a_category_chosen_when_raising_the_ticket_is_kept(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    ticket, record = triaged(
        desk,
        clock,
        bus,
        service,
        NEW_PRINTER,
        scope=desk.agent_scope,
        category_id=indexed.network.id,
        priority=Priority.P1,
    )

    created = created_event(bus, ticket.number)
    assert created.detail["chosen"] == ["category_id", "priority"]
    assert ticket.category_id == indexed.network.id
    assert ticket.priority is Priority.P1
    assert "category_id" not in record.suggested
    assert "priority" not in record.suggested
    assert "category_id" not in record.applied
    assert ticket.team_id == desk.team.id  # what was not chosen is still triaged


def test_rules_for_a_category_follow_the_category_the_agent_chose(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    rule(desk, "Hardware is urgent", {"category_ids": [indexed.hardware.id]}, {"priority": "P1"})

    ticket, record = triaged(
        desk,
        clock,
        bus,
        service,
        NEW_PRINTER,
        scope=desk.agent_scope,
        category_id=indexed.network.id,
    )

    assert ticket.category_id == indexed.network.id
    assert record.rules == {}
    assert ticket.priority is not Priority.P1


def test_fields_passed_empty_when_raising_a_ticket_are_still_triaged(
    indexed: History, desk: Desk, clock: Clock, bus: Bus, service: TriageService
) -> None:
    # As the phone-call path raises a ticket for a call nobody has routed yet.
    ticket, record = triaged(
        desk, clock, bus, service, NEW_PRINTER, scope=desk.agent_scope, team_id=None, agent_id=None
    )

    assert created_event(bus, ticket.number).detail["chosen"] == []
    assert ticket.team_id == desk.team.id
    assert ticket.agent_id in {desk.agent.id, desk.other_agent.id}
    assert record.suggested["team_id"] == desk.team.id


# --- a new desk ----------------------------------------------------------------------------------


def test_a_desk_without_history_reindexes_to_an_empty_index(
    deps: Deps, service: TriageService
) -> None:
    build_desk(deps)

    assert service.reindex().count == 0


def test_the_first_resolved_ticket_of_a_new_desk_is_taken_without_error(
    deps: Deps, clock: Clock, bus: Bus, service: TriageService, vectors: Vectors
) -> None:
    desk = build_desk(deps)
    ticket = raise_ticket(desk, clock, NEW_PRINTER)
    bus.skip()

    agent_update(desk, clock, desk.agent, ticket.number, status=TicketStatus.RESOLVED)
    bus.deliver(service)

    assert vectors.state().count <= 1


# --- the function and the command line ------------------------------------------------------------


@pytest.fixture
def deployed(
    history: History, settings: Settings, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[History]:
    """The environment a deployed triage function reads, pointed at this test's table."""
    from functions.triage import handler
    from mspdesk.config import settings as cached_settings
    from mspdesk.runtime import use_local_events
    from mspdesk.triage_config import triage_config

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "MSPDESK_AWS_ENDPOINT_URL": str(settings.aws_endpoint_url),
        "MSPDESK_TABLE_NAME": settings.table_name,
        "MSPDESK_TRIAGE_BUCKET": bucket,
        "AWS_REGION": "eu-west-2",
    }.items():
        monkeypatch.setenv(name, value)

    def forget() -> None:
        cached_settings.cache_clear()
        triage_config.cache_clear()
        handler.forget()

    forget()
    use_local_events(history.desk.deps.events)
    try:
        yield history
    finally:
        use_local_events(None)
        monkeypatch.undo()
        forget()


def test_the_reindex_command_and_the_function_triage_a_new_ticket(
    deployed: History, clock: Clock, bus: Bus, capsys: pytest.CaptureFixture[str]
) -> None:
    from functions.triage.handler import handler
    from mspdesk import cli
    from mspdesk.local.stack import LocalContext

    assert cli.main(["triage", "reindex"]) == 0
    assert f"indexed {len(deployed.numbers)} resolved tickets" in capsys.readouterr().out

    ticket = raise_ticket(deployed.desk, clock, NEW_PRINTER)
    event = created_event(bus, ticket.number)
    answer = handler(
        {
            "detail-type": "TicketCreated",
            "source": "mspdesk",
            "detail": {**event.detail, "client_id": event.client_id},
        },
        LocalContext(function_name="mspdesk-triage"),
    )
    assert answer == {"triaged": True, "method": "vector", "outcome": "applied"}
    assert current(deployed.desk, ticket.number).category_id == deployed.hardware.id
