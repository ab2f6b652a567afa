"""Lateral analysis through the events, against moto: calls and tickets across clients, the
suspected major incident, and the Problem that its tickets are linked to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from functions.cti_events.consumer import CtiEvents
from mspdesk.config import Settings
from mspdesk.cti_config import CtiSettings
from mspdesk.domain.attachments import StoredAttachment, attachments_of
from mspdesk.domain.calls import CallEvent, CallEventKind, CallProvider
from mspdesk.domain.enums import TicketStatus, Visibility
from mspdesk.domain.errors import NotFound
from mspdesk.domain.major_incidents import IncidentStatus
from mspdesk.services.calls import CallPatch
from mspdesk.services.problems import ProblemInput
from mspdesk.services.tickets import ActionInput, TicketPatch
from mspdesk.store.dynamo import DynamoStore
from tests.conftest import Clock
from tests.integration.cti_harness import (
    ALICE_PHONE,
    BOB_PHONE,
    CAROL_PHONE,
    DAN_PHONE,
    EXTENSION,
    PhoneDesk,
    build_phone_desk,
)
from tests.unit.builders import ADMIN

NOTES = "Outlook cannot connect to Exchange since this morning"


@pytest.fixture
def phone(store: DynamoStore, clock: Clock, settings: Settings) -> PhoneDesk:
    return build_phone_desk(store, clock, settings)


def answered_call(phone: PhoneDesk, name: str, caller: str, notes: str = NOTES) -> str:
    """A call answered by the agent, noted, then hung up two minutes later."""
    calls = phone.calls
    call = calls.handle(
        CallEvent(
            provider=CallProvider.GENERIC,
            external_id=name,
            kind=CallEventKind.ANSWERED,
            caller=caller,
            agent_hints=[EXTENSION],
        )
    )
    calls.update(phone.desk.agent_scope, call.id, CallPatch(notes=notes))
    phone.clock.now += timedelta(minutes=2)
    calls.handle(
        CallEvent(
            provider=CallProvider.GENERIC, external_id=name, kind=CallEventKind.ENDED, caller=caller
        )
    )
    return call.id


def test_three_calls_from_one_client_raise_no_alert(phone: PhoneDesk) -> None:
    for name in ("c1", "c2", "c3"):
        answered_call(phone, name, ALICE_PHONE)
    assert phone.events.of_type("MajorIncidentSuspected") == []
    page = phone.context.problems.incidents_page(ADMIN, IncidentStatus.OPEN, 25, None)
    assert page.items == []


def test_calls_from_three_clients_raise_one_alert_that_later_reports_join(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    answered_call(phone, "c1", ALICE_PHONE)
    answered_call(phone, "c2", BOB_PHONE)
    assert phone.events.of_type("MajorIncidentSuspected") == []
    answered_call(phone, "c3", CAROL_PHONE)
    alerts = phone.events.of_type("MajorIncidentSuspected")
    assert len(alerts) == 1
    assert {"outlook", "exchange", "outlook connect"} <= set(alerts[0].detail["keywords"])
    assert sorted(alerts[0].detail["client_ids"]) == sorted(
        [desk.client_a.id, desk.client_b.id, phone.client_c.id]
    )
    answered_call(phone, "c4", DAN_PHONE, "Outlook will not connect at all")
    assert len(phone.events.of_type("MajorIncidentSuspected")) == 1
    listed = phone.context.problems.incidents_page(ADMIN, IncidentStatus.OPEN, 25, None).items
    assert len(listed) == 1
    assert phone.client_d.id in listed[0].client_ids


def test_reports_outside_the_window_do_not_add_up(phone: PhoneDesk) -> None:
    answered_call(phone, "c1", ALICE_PHONE)
    answered_call(phone, "c2", BOB_PHONE)
    phone.clock.now += timedelta(minutes=25)
    answered_call(phone, "c3", CAROL_PHONE)
    assert phone.events.of_type("MajorIncidentSuspected") == []


def test_new_tickets_count_as_reports_too(phone: PhoneDesk) -> None:
    desk = phone.desk
    desk.ticket(subject="VPN tunnel down", body="The VPN tunnel dropped for everyone")
    desk.ticket(
        client_id=desk.client_b.id,
        end_user_id=desk.bob.id,
        subject="VPN tunnel down at Bravo",
        body="no VPN",
    )
    assert phone.events.of_type("MajorIncidentSuspected") == []
    desk.ticket(
        client_id=phone.client_c.id,
        end_user_id=phone.carol.id,
        subject="Cannot reach the VPN",
        body="VPN tunnel down",
    )
    assert len(phone.events.of_type("MajorIncidentSuspected")) == 1


def test_a_cold_consumer_rebuilds_the_window_and_grows_the_open_incident(
    phone: PhoneDesk,
) -> None:
    answered_call(phone, "c1", ALICE_PHONE)
    answered_call(phone, "c2", BOB_PHONE)
    answered_call(phone, "c3", CAROL_PHONE)
    phone.events.consumer = CtiEvents(phone.context)  # a new container: an empty window
    answered_call(phone, "c4", DAN_PHONE)
    assert len(phone.events.of_type("MajorIncidentSuspected")) == 1
    incident = phone.context.problems.incidents_page(ADMIN, IncidentStatus.OPEN, 25, None).items[0]
    assert phone.client_d.id in incident.client_ids


def test_a_problem_update_reaches_every_linked_ticket_and_resolving_it_resolves_them(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    for name, caller in (("c1", ALICE_PHONE), ("c2", BOB_PHONE), ("c3", CAROL_PHONE)):
        answered_call(phone, name, caller)
    incident = phone.context.problems.incidents_page(ADMIN, IncidentStatus.OPEN, 25, None).items[0]
    problems = phone.context.problems
    problem = problems.raise_for_incident(
        desk.agent_scope, incident.id, ProblemInput(client_id=desk.client_a.id)
    )
    assert len(problem.linked) == 3
    assert problems.incident(ADMIN, incident.id).status is IncidentStatus.PROBLEM
    tickets = desk.tickets
    tickets.add_action(
        desk.agent_scope,
        problem.number,
        ActionInput(
            body="Microsoft confirm an Exchange Online outage.", visibility=Visibility.PUBLIC
        ),
    )
    tickets.add_action(
        desk.agent_scope,
        problem.number,
        ActionInput(body="Internal: raised with the vendor", visibility=Visibility.PRIVATE),
    )
    store = desk.deps.store
    for number in problem.linked:
        bodies = [a.body for a in store.get_ticket_record(number, ADMIN, phone.clock.now).actions]
        assert "Microsoft confirm an Exchange Online outage." in bodies
        assert "Internal: raised with the vendor" not in bodies
    current = store.get_ticket(problem.number, ADMIN)
    tickets.update(
        desk.agent_scope, problem.number, current.version, TicketPatch(status=TicketStatus.RESOLVED)
    )
    for number in problem.linked:
        assert store.get_ticket(number, ADMIN).status is TicketStatus.RESOLVED


def test_a_redelivered_problem_update_is_copied_once(phone: PhoneDesk) -> None:
    desk = phone.desk
    linked = desk.ticket()
    problems = phone.context.problems
    problem = problems.raise_problem(
        desk.agent_scope,
        ProblemInput(subject="Outage", body="b", ticket_numbers=[linked.number]),
    )
    _, action = desk.tickets.add_action(
        desk.agent_scope, problem.number, ActionInput(body="Fixed at 10:40.")
    )
    assert problems.on_action_added(problem.number, action.id) == 0  # delivered a second time
    bodies = [
        a.body
        for a in desk.deps.store.get_ticket_record(linked.number, ADMIN, phone.clock.now).actions
    ]
    assert bodies.count("Fixed at 10:40.") == 1


def test_a_ticket_is_linked_to_one_problem_at_most(phone: PhoneDesk) -> None:
    from mspdesk.domain.errors import InvalidInput
    from mspdesk.services.problems import LinkInput

    desk = phone.desk
    linked = desk.ticket()
    problems = phone.context.problems
    first = problems.raise_problem(
        desk.agent_scope, ProblemInput(subject="One", body="b", ticket_numbers=[linked.number])
    )
    second = problems.raise_problem(
        desk.agent_scope, ProblemInput(subject="Two", body="b", client_id=desk.client_a.id)
    )
    with pytest.raises(InvalidInput):
        problems.link(desk.agent_scope, second.number, LinkInput(ticket_numbers=[linked.number]))
    with pytest.raises(InvalidInput):
        problems.link(desk.agent_scope, second.number, LinkInput(ticket_numbers=[first.number]))


def test_the_number_of_clients_that_make_an_incident_is_configurable(
    store: DynamoStore, clock: Clock, settings: Settings
) -> None:
    phone = build_phone_desk(store, clock, settings, cti=CtiSettings(lateral_min_clients=2))
    answered_call(phone, "c1", ALICE_PHONE)
    answered_call(phone, "c2", BOB_PHONE)
    assert len(phone.events.of_type("MajorIncidentSuspected")) == 1


def test_problems_are_listed_newest_first_with_their_links_and_a_ticket_knows_its_problem(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    problems = phone.context.problems
    first_linked, second_linked, loose = desk.ticket(), desk.ticket(), desk.ticket()
    older = problems.raise_problem(
        desk.agent_scope,
        ProblemInput(subject="Printer queue", body="b", ticket_numbers=[first_linked.number]),
    )
    newer = problems.raise_problem(
        desk.agent_scope,
        ProblemInput(
            subject="VPN outage",
            body="b",
            ticket_numbers=[second_linked.number, loose.number],
        ),
    )
    problems.unlink(desk.agent_scope, newer.number, loose.number)

    page = problems.page(desk.agent_scope, 25, None)
    assert [(p.number, p.subject, p.linked_count) for p in page.items] == [
        (newer.number, "VPN outage", 1),
        (older.number, "Printer queue", 1),
    ]
    first_page = problems.page(desk.agent_scope, 1, None)
    assert [p.number for p in first_page.items] == [newer.number]
    rest = problems.page(desk.agent_scope, 1, first_page.next_cursor)
    assert [p.number for p in rest.items] == [older.number]

    assert problems.of_ticket(desk.agent_scope, first_linked.number).linked_to == older.number
    own = problems.of_ticket(desk.agent_scope, newer.number)
    assert own.problem is not None
    assert (own.problem.linked, own.linked_to) == ([second_linked.number], None)
    neither = problems.of_ticket(desk.agent_scope, loose.number)
    assert (neither.problem, neither.linked_to) == (None, None)
    with pytest.raises(NotFound):
        problems.page(desk.alice_scope, 25, None)


def test_a_problems_update_carries_its_files_to_the_linked_tickets(phone: PhoneDesk) -> None:
    desk = phone.desk
    linked = desk.ticket()
    problems = phone.context.problems
    problem = problems.raise_problem(
        desk.agent_scope,
        ProblemInput(subject="Outage", body="b", ticket_numbers=[linked.number]),
    )
    workaround = StoredAttachment(
        filename="workaround.pdf", content_type="application/pdf", size=3, key="attachments/f/w"
    )
    desk.tickets.add_action(
        desk.agent_scope, problem.number, ActionInput(body="See the PDF."), files=[workaround]
    )
    actions = desk.deps.store.get_ticket_record(linked.number, ADMIN, phone.clock.now).actions
    copied = next(a for a in actions if a.body == "See the PDF.")
    assert attachments_of(copied.meta) == [workaround]


def test_linking_a_resolved_ticket_is_refused_by_name_and_links_none_of_the_request(
    phone: PhoneDesk,
) -> None:
    from mspdesk.domain.errors import InvalidInput
    from mspdesk.services.problems import LinkInput

    desk = phone.desk
    problems = phone.context.problems
    open_one, done = desk.ticket(), desk.ticket()
    desk.tickets.update(
        desk.agent_scope, done.number, done.version, TicketPatch(status=TicketStatus.RESOLVED)
    )
    problem = problems.raise_problem(
        desk.agent_scope, ProblemInput(subject="Outage", body="b", client_id=desk.client_a.id)
    )
    with pytest.raises(InvalidInput) as refused:
        problems.link(
            desk.agent_scope,
            problem.number,
            LinkInput(ticket_numbers=[open_one.number, done.number]),
        )
    assert refused.value.field == "ticket_numbers"
    assert f"#{done.number} is resolved" in refused.value.message
    assert problems.get(desk.agent_scope, problem.number).linked == []

    before = problems.page(desk.agent_scope, 25, None).items
    with pytest.raises(InvalidInput):
        problems.raise_problem(
            desk.agent_scope,
            ProblemInput(subject="Second", body="b", ticket_numbers=[done.number]),
        )
    assert problems.page(desk.agent_scope, 25, None).items == before  # no Problem half-raised


def test_raising_a_problem_for_an_incident_leaves_out_reports_resolved_since(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    for name, caller in (("c1", ALICE_PHONE), ("c2", BOB_PHONE), ("c3", CAROL_PHONE)):
        answered_call(phone, name, caller)
    problems = phone.context.problems
    incident = problems.incidents_page(ADMIN, IncidentStatus.OPEN, 25, None).items[0]
    reported = problems._reported_tickets(incident)  # the calls' tickets
    assert len(reported) == 3
    store = desk.deps.store
    first = store.get_ticket(reported[0], ADMIN)
    desk.tickets.update(
        desk.agent_scope, first.number, first.version, TicketPatch(status=TicketStatus.RESOLVED)
    )
    problem = problems.raise_for_incident(
        desk.agent_scope, incident.id, ProblemInput(client_id=desk.client_a.id)
    )
    assert sorted(problem.linked) == sorted(reported[1:])


def test_a_resolved_problem_leaves_the_open_list_and_comes_back_when_reopened(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    problems = phone.context.problems
    store = desk.deps.store
    problem = problems.raise_problem(
        desk.agent_scope,
        ProblemInput(subject="Mail relay down", body="b", ticket_numbers=[desk.ticket().number]),
    )

    def listed(resolved: bool) -> list[int]:
        return [p.number for p in problems.page(desk.agent_scope, 25, None, resolved).items]

    def set_status(status: TicketStatus) -> None:
        current = store.get_ticket(problem.number, ADMIN)
        desk.tickets.update(
            desk.agent_scope, problem.number, current.version, TicketPatch(status=status)
        )

    assert (listed(False), listed(True)) == ([problem.number], [])
    set_status(TicketStatus.RESOLVED)
    assert (listed(False), listed(True)) == ([], [problem.number])
    set_status(TicketStatus.OPEN)
    assert (listed(False), listed(True)) == ([problem.number], [])
