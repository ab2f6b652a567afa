"""Calls through the call service, against moto: matching, screen pops, hang-up, missed calls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mspdesk.adapters.websocket_push import RecordingPusher
from mspdesk.config import Settings
from mspdesk.domain.call_scripts import CallScriptFields
from mspdesk.domain.calls import (
    CallDirection,
    CallEvent,
    CallEventKind,
    CallProvider,
    CallState,
    MatchedBy,
)
from mspdesk.domain.enums import ActionKind, Priority, TicketSource, Visibility
from mspdesk.domain.errors import InvalidInput
from mspdesk.services.calls import CallPatch, ScriptAnswers
from mspdesk.store.dynamo import DynamoStore
from tests.conftest import Clock
from tests.integration.cti_harness import (
    ALICE_PHONE,
    DAN_PHONE,
    EXTENSION,
    SUPPORT_LINE,
    SWITCHBOARD,
    PhoneDesk,
    build_phone_desk,
)
from tests.unit.builders import ADMIN


@pytest.fixture
def pusher() -> RecordingPusher:
    return RecordingPusher()


@pytest.fixture
def phone(
    store: DynamoStore, clock: Clock, settings: Settings, pusher: RecordingPusher
) -> PhoneDesk:
    return build_phone_desk(store, clock, settings, pusher=pusher)


def event(kind: CallEventKind, call: str, caller: str = ALICE_PHONE, **extra: object) -> CallEvent:
    return CallEvent(
        provider=CallProvider.GENERIC,
        external_id=call,
        kind=kind,
        caller=caller,
        dialled=SUPPORT_LINE,
        **extra,  # type: ignore[arg-type]
    )


def connect(phone: PhoneDesk, agent_id: str, connection: str) -> None:
    until = phone.clock.now + timedelta(hours=2)
    phone.calls.connections.put(connection, agent_id, until)


def test_caller_is_matched_to_the_end_user_by_their_phone(phone: PhoneDesk) -> None:
    call = phone.calls.handle(event(CallEventKind.RINGING, "c1", "+44 1623 555014"))
    assert call.caller_e164 == "+441623555014"
    assert (call.client_id, call.end_user_id) == (phone.desk.client_a.id, phone.desk.alice.id)
    assert call.matched_by is MatchedBy.END_USER


def test_caller_from_a_sites_switchboard_is_matched_to_the_sites_client(phone: PhoneDesk) -> None:
    call = phone.calls.handle(event(CallEventKind.RINGING, "c1", SWITCHBOARD))
    assert (call.client_id, call.site_id) == (phone.desk.client_b.id, phone.site_b.id)
    assert call.end_user_id is None
    assert call.matched_by is MatchedBy.SITE


def test_a_changed_switchboard_number_moves_the_match(phone: PhoneDesk) -> None:
    from mspdesk.services.admin import lookup

    phone.desk.admin.update(
        ADMIN, lookup("sites"), phone.site_b.id, {"main_phone": "0115 555 0999"}, None
    )
    old = phone.calls.handle(event(CallEventKind.RINGING, "c1", SWITCHBOARD))
    new = phone.calls.handle(event(CallEventKind.RINGING, "c2", "0115 555 0999"))
    assert old.client_id is None
    assert new.client_id == phone.desk.client_b.id


def test_ringing_pops_to_the_agent_of_the_extension_with_the_callers_context(
    phone: PhoneDesk, pusher: RecordingPusher
) -> None:
    desk = phone.desk
    open_ticket = desk.ticket()
    connect(phone, desk.agent.id, "sam-1")
    connect(phone, desk.other_agent.id, "kim-1")
    phone.calls.handle(event(CallEventKind.RINGING, "c1", agent_hints=[EXTENSION]))
    assert [c for c, _ in pusher.sent] == ["sam-1"]
    pop = pusher.sent[0][1]
    assert pop["stage"] == "ringing"
    assert pop["caller"]["id"] == desk.alice.id
    assert pop["client"]["name"] == "Acme Ltd"
    assert pop["contract"]["id"] == desk.contract_a.id
    assert [t["number"] for t in pop["open_tickets"]] == [open_ticket.number]
    assert pop["open_tickets"][0]["mine"] is True


def test_ringing_without_a_named_agent_pops_to_the_team_of_the_dialled_number(
    phone: PhoneDesk, pusher: RecordingPusher
) -> None:
    desk = phone.desk
    connect(phone, desk.agent.id, "sam-1")
    connect(phone, desk.other_agent.id, "kim-1")
    call = phone.calls.handle(event(CallEventKind.RINGING, "c1"))
    assert sorted(c for c, _ in pusher.sent) == ["kim-1", "sam-1"]
    assert call.team_id == desk.team.id


def test_a_connection_that_is_gone_is_forgotten(phone: PhoneDesk, pusher: RecordingPusher) -> None:
    connect(phone, phone.desk.agent.id, "stale")
    pusher.gone.add("stale")
    phone.calls.handle(event(CallEventKind.RINGING, "c1", agent_hints=[EXTENSION]))
    assert phone.calls.connections.of_agent(phone.desk.agent.id, phone.clock.now) == []


def test_answer_pops_the_record_with_the_call_script_to_the_answering_agent(
    phone: PhoneDesk, pusher: RecordingPusher
) -> None:
    desk = phone.desk
    script = phone.context.scripts.create(
        ADMIN,
        CallScriptFields(
            name="Acme",
            client_ids=[desk.client_a.id],
            questions=[{"id": "who", "text": "Who is affected?"}],  # type: ignore[list-item]
        ),
    )
    connect(phone, desk.agent.id, "sam-1")
    phone.calls.handle(event(CallEventKind.RINGING, "c1", agent_hints=["Kim Agent"]))
    phone.clock.now += timedelta(seconds=20)
    call = phone.calls.handle(event(CallEventKind.ANSWERED, "c1", agent_hints=["sam@msp.example"]))
    assert call.state is CallState.ANSWERED
    assert call.answered_at == phone.clock.now
    assert call.agent_id == desk.agent.id
    answered = [m for _, m in pusher.sent if m["stage"] == "answered"]
    assert len(answered) == 1
    assert answered[0]["script"]["id"] == script.id
    started = phone.events.of_type("CallAnswered")
    assert [e.detail["agent_id"] for e in started] == [desk.agent.id]


def test_hang_up_logs_the_call_on_the_picked_ticket_with_time_from_answer_to_end(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    ticket = desk.ticket()
    phone.calls.handle(event(CallEventKind.RINGING, "c1"))
    phone.clock.now += timedelta(seconds=30)
    answered_at = phone.clock.now
    call = phone.calls.handle(event(CallEventKind.ANSWERED, "c1", agent_hints=[EXTENSION]))
    phone.calls.update(
        desk.agent_scope, call.id, CallPatch(ticket_number=ticket.number, notes="Toner")
    )
    phone.clock.now += timedelta(minutes=5, seconds=10)
    ended = phone.calls.handle(event(CallEventKind.ENDED, "c1", cause="normalClearing"))
    assert ended.state is CallState.ENDED
    assert ended.logged and ended.ticket_number == ticket.number
    record = desk.deps.store.get_ticket_record(ticket.number, ADMIN, phone.clock.now)
    calls = [a for a in record.actions if a.kind is ActionKind.CALL]
    assert len(calls) == 1
    assert calls[0].visibility is Visibility.PRIVATE
    assert "Toner" in calls[0].body
    assert [(e.started_at, e.minutes, e.agent_id, e.work_type) for e in record.time_entries] == [
        (answered_at, 6, desk.agent.id, "phone")
    ]


def test_hang_up_without_a_picked_ticket_opens_a_phone_ticket_for_the_caller(
    phone: PhoneDesk,
) -> None:
    phone.calls.handle(event(CallEventKind.ANSWERED, "c1", agent_hints=[EXTENSION]))
    phone.clock.now += timedelta(minutes=2)
    call = phone.calls.handle(event(CallEventKind.ENDED, "c1"))
    assert call.ticket_number is not None
    ticket = phone.desk.deps.store.find_ticket(call.ticket_number)
    assert ticket is not None
    assert ticket.source is TicketSource.PHONE
    assert (ticket.client_id, ticket.end_user_id) == (phone.desk.client_a.id, phone.desk.alice.id)
    assert ticket.agent_id == phone.desk.agent.id


def test_a_redelivered_hang_up_logs_the_call_once(phone: PhoneDesk) -> None:
    phone.calls.handle(event(CallEventKind.ANSWERED, "c1", agent_hints=[EXTENSION]))
    phone.clock.now += timedelta(minutes=2)
    first = phone.calls.handle(event(CallEventKind.ENDED, "c1"))
    again = phone.calls.handle(event(CallEventKind.ENDED, "c1"))
    assert again.ticket_number == first.ticket_number
    assert first.ticket_number is not None
    record = phone.desk.deps.store.get_ticket_record(first.ticket_number, ADMIN, phone.clock.now)
    assert len([a for a in record.actions if a.kind is ActionKind.CALL]) == 1
    assert len(record.time_entries) == 1
    assert len(phone.events.of_type("CallLogged")) == 1


def test_a_missed_call_of_a_vip_opens_a_p2_call_back_ticket(phone: PhoneDesk) -> None:
    phone.calls.handle(event(CallEventKind.RINGING, "c1", "0114 555 0199"))
    call = phone.calls.handle(event(CallEventKind.ENDED, "c1", "0114 555 0199", cause="cancel"))
    assert call.state is CallState.MISSED
    assert call.callback_ticket is not None
    ticket = phone.desk.deps.store.find_ticket(call.callback_ticket)
    assert ticket is not None
    assert ticket.subject == "Call back Carol (missed call)"
    assert ticket.priority is Priority.P2
    assert ticket.client_id == phone.client_c.id


def test_an_unknown_caller_is_kept_and_logged_once_an_agent_says_who_it_was(
    phone: PhoneDesk,
) -> None:
    desk = phone.desk
    phone.calls.handle(
        event(CallEventKind.ANSWERED, "c1", "020 7946 0321", agent_hints=[EXTENSION])
    )
    phone.clock.now += timedelta(minutes=1)
    call = phone.calls.handle(event(CallEventKind.ENDED, "c1", "020 7946 0321"))
    assert call.client_id is None and not call.logged
    waiting = phone.calls.listing(desk.agent_scope, "unmatched", 25, None, 24).items
    assert [c.id for c in waiting] == [call.id]
    logged = phone.calls.update(desk.agent_scope, call.id, CallPatch(client_id=desk.client_b.id))
    assert logged.logged and logged.matched_by is MatchedBy.AGENT
    assert phone.calls.listing(desk.agent_scope, "unmatched", 25, None, 24).items == []


def test_a_missed_call_of_an_unknown_caller_is_an_open_call_back(phone: PhoneDesk) -> None:
    call = phone.calls.handle(event(CallEventKind.ENDED, "c1", "020 7946 0321", cause="noAnswer"))
    assert call.state is CallState.MISSED and call.callback_open
    listed = phone.calls.listing(phone.desk.agent_scope, "callback", 25, None, 24).items
    assert listed == []  # unknown callers wait in the unmatched list first
    unmatched = phone.calls.listing(phone.desk.agent_scope, "unmatched", 25, None, 24).items
    assert [c.id for c in unmatched] == [call.id]
    done = phone.calls.update(
        phone.desk.agent_scope, call.id, CallPatch(client_id=phone.client_d.id)
    )
    assert done.callback_ticket is not None and not done.callback_open


def test_an_outbound_call_matches_the_called_party(phone: PhoneDesk) -> None:
    call = phone.calls.handle(
        CallEvent(
            provider=CallProvider.GENERIC,
            external_id="o1",
            kind=CallEventKind.RINGING,
            direction=CallDirection.OUTBOUND,
            caller=DAN_PHONE,
        )
    )
    assert call.end_user_id == phone.dan.id


def test_script_answers_are_saved_on_the_ticket_the_call_is_logged_on(phone: PhoneDesk) -> None:
    desk = phone.desk
    script = phone.context.scripts.create(
        ADMIN,
        CallScriptFields.model_validate(
            {
                "name": "Outage",
                "questions": [
                    {
                        "id": "many",
                        "text": "Several people?",
                        "kind": "yes_no",
                        "branches": {"no": "end"},
                    },
                    {"id": "count", "text": "How many?"},
                ],
            }
        ),
    )
    call = phone.calls.handle(event(CallEventKind.ANSWERED, "c1", agent_hints=[EXTENSION]))
    with pytest.raises(InvalidInput):
        phone.calls.answer_script(
            desk.agent_scope,
            call.id,
            ScriptAnswers(script_id=script.id, answers={"many": "no", "count": "3"}),
        )
    phone.calls.answer_script(
        desk.agent_scope,
        call.id,
        ScriptAnswers(script_id=script.id, answers={"many": "Yes", "count": "12"}),
    )
    phone.clock.now += timedelta(minutes=3)
    ended = phone.calls.handle(event(CallEventKind.ENDED, "c1"))
    assert ended.ticket_number is not None
    record = desk.deps.store.get_ticket_record(ended.ticket_number, ADMIN, phone.clock.now)
    notes = [a.body for a in record.actions if a.body.startswith("Call script:")]
    assert notes == ["Call script: Outage\n- Several people? yes\n- How many? 12"]


def test_picking_a_ticket_for_an_unknown_caller_says_who_called(phone: PhoneDesk) -> None:
    desk = phone.desk
    bravo = desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id)
    call = phone.calls.handle(
        event(CallEventKind.ANSWERED, "c1", "020 7946 0321", agent_hints=[EXTENSION])
    )
    picked = phone.calls.update(desk.agent_scope, call.id, CallPatch(ticket_number=bravo.number))
    assert (picked.client_id, picked.matched_by) == (desk.client_b.id, MatchedBy.AGENT)
    phone.clock.now += timedelta(minutes=1)
    ended = phone.calls.handle(event(CallEventKind.ENDED, "c1", "020 7946 0321"))
    assert ended.logged and ended.ticket_number == bravo.number


def test_recent_calls_page_across_days_newest_first_each_call_once(phone: PhoneDesk) -> None:
    started = []
    for n in range(7):  # three days, with tickets in the same index partitions between calls
        call = phone.calls.handle(event(CallEventKind.RINGING, f"c{n}", ALICE_PHONE))
        started.append(call.id)
        phone.desk.ticket()
        phone.clock.now += timedelta(hours=10)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = phone.calls.listing(phone.desk.agent_scope, "recent", 3, cursor, 168)
        assert len(page.items) <= 3
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == started[::-1]
    with pytest.raises(InvalidInput):
        phone.calls.listing(phone.desk.agent_scope, "recent", 3, "bm90IGEgY3Vyc29y", 168)
