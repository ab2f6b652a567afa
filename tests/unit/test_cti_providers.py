"""Each phone system's payloads, in their own shapes, to call events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from mspdesk.domain.calls import CallDirection, CallEventKind, CallProvider
from mspdesk.domain.cti_providers import (
    aircall_event,
    as_fields,
    teams_call_event,
    teams_record_ids,
    threecx_journal,
    zammad_event,
)
from mspdesk.domain.errors import InvalidInput

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_zammad_new_call_form_post_names_caller_our_number_and_every_user() -> None:
    form = parse_qs(
        "event=newCall&from=493055571600&to=491711234567890&direction=in"
        "&callId=4991155921769858278-1&user%5B%5D=Alice+Agent&user%5B%5D=Bob+Agent&queue=helpdesk"
    )
    event = zammad_event(form)
    assert event.provider is CallProvider.GENERIC
    assert event.kind is CallEventKind.RINGING
    assert event.external_id == "4991155921769858278-1"
    assert (event.caller, event.dialled) == ("493055571600", "491711234567890")
    assert event.agent_hints == ["Alice Agent", "Bob Agent"]


def test_zammad_outbound_call_puts_the_called_party_as_the_caller() -> None:
    event = zammad_event(
        as_fields(
            {
                "event": "hangup",
                "from": "493023125741",
                "to": "492214710334",
                "direction": "out",
                "callId": "f4ebd2be",
                "user": "Christopher Miller",
                "cause": "cancel",
            }
        )
    )
    assert event.direction is CallDirection.OUTBOUND
    assert (event.caller, event.dialled) == ("492214710334", "493023125741")
    assert event.kind is CallEventKind.ENDED
    assert event.cause == "cancel"


def test_zammad_answer_prefers_answering_number_to_names() -> None:
    event = zammad_event(
        as_fields(
            {
                "event": "answer",
                "from": "01623555014",
                "to": "01155550100",
                "direction": "in",
                "call_id": "x1",
                "user": "Emma Taylor",
                "answeringNumber": "emma@msp.example",
            }
        )
    )
    assert event.external_id == "x1"
    assert event.agent_hints == ["emma@msp.example", "Emma Taylor"]


@pytest.mark.parametrize(
    "fields", [{"event": "dial", "callId": "1"}, {"event": "newCall"}, {"callId": "1"}]
)
def test_zammad_posts_without_a_known_event_or_call_id_are_refused(
    fields: dict[str, Any],
) -> None:
    with pytest.raises(InvalidInput):
        zammad_event(as_fields(fields))


def aircall(event: str, **data: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 812,
        "direct_link": "https://api.aircall.io/v1/calls/812",
        "direction": "inbound",
        "status": "initial",
        "missed_call_reason": None,
        "started_at": int(NOW.timestamp()),
        "answered_at": None,
        "ended_at": None,
        "duration": 0,
        "raw_digits": "+44 1623 555014",
        "user": None,
        "number": {"id": 58108, "digits": "+44 115 555 0100", "name": "Support"},
        "teams": [],
    }
    base.update(data)
    return {"resource": "call", "event": event, "timestamp": 1, "token": "t", "data": base}


def test_aircall_whole_call_maps_created_answered_and_ended_with_their_times() -> None:
    user = {"id": 1, "name": "Sam Agent", "email": "sam@msp.example"}
    answered = int((NOW + timedelta(seconds=20)).timestamp())
    ended = int((NOW + timedelta(minutes=5)).timestamp())
    created = aircall_event(aircall("call.created"))
    picked = aircall_event(aircall("call.answered", user=user, answered_at=answered))
    done = aircall_event(
        aircall("call.ended", user=user, answered_at=answered, ended_at=ended, status="done")
    )
    assert created is not None and picked is not None and done is not None
    assert created.kind is CallEventKind.RINGING
    assert created.caller == "+44 1623 555014"
    assert created.dialled == "+44 115 555 0100"
    assert picked.kind is CallEventKind.ANSWERED
    assert picked.at == NOW + timedelta(seconds=20)
    assert picked.agent_hints == ["sam@msp.example", "Sam Agent"]
    assert done.kind is CallEventKind.ENDED
    assert done.missed is False
    assert done.at == NOW + timedelta(minutes=5)
    assert done.external_id == created.external_id == "812"


def test_aircall_hangup_with_a_missed_reason_is_a_missed_call() -> None:
    event = aircall_event(
        aircall("call.hungup", missed_call_reason="agents_did_not_answer", ended_at=1)
    )
    assert event is not None
    assert event.missed is True
    assert event.cause == "agents_did_not_answer"


@pytest.mark.parametrize("name", ["call.tagged", "call.commented", "contact.created"])
def test_aircall_events_without_a_call_stage_are_ignored(name: str) -> None:
    assert aircall_event(aircall(name)) is None


def test_threecx_journal_of_an_answered_call_starts_its_time_at_answer() -> None:
    event = threecx_journal(
        parse_qs(
            "call_type=Inbound&number=01623555014&agent=201&agent_email=sam%40msp.example"
            "&duration=125&start_utc=2026-03-02T10:00:00Z&end_utc=2026-03-02T10:02:35Z"
        ),
        NOW,
    )
    assert event.kind is CallEventKind.ENDED
    assert event.missed is False
    assert event.answered_at == datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)
    assert event.agent_hints == ["sam@msp.example", "201"]


@pytest.mark.parametrize(
    ("call_type", "direction"),
    [("Missed", CallDirection.INBOUND), ("Notanswered", CallDirection.OUTBOUND)],
)
def test_threecx_missed_and_not_answered_calls_have_no_answer(
    call_type: str, direction: CallDirection
) -> None:
    event = threecx_journal(
        as_fields({"call_type": call_type, "number": "01623555014", "duration": "00:00:00"}), NOW
    )
    assert event.missed is True
    assert event.answered_at is None
    assert event.direction is direction


def teams_record(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "e523d2ed-2966-4b6b-925b-754a88034cc5",
        "version": 1,
        "type": "peerToPeer",
        "modalities": ["audio"],
        "startDateTime": "2026-03-02T10:00:00Z",
        "endDateTime": "2026-03-02T10:06:00Z",
        "participants": [{"phone": {"id": "+441623555014"}}],
        "sessions": sessions,
    }


def phone(number: str) -> dict[str, Any]:
    return {"identity": {"phone": {"id": number}}}


def user(upn: str) -> dict[str, Any]:
    return {
        "identity": {"user": {"id": "u1", "displayName": "Sam Agent", "userPrincipalName": upn}}
    }


def test_teams_pstn_call_record_answered_by_a_user_is_an_ended_call() -> None:
    event = teams_call_event(
        teams_record(
            [
                {
                    "startDateTime": "2026-03-02T10:00:12Z",
                    "endDateTime": "2026-03-02T10:06:00Z",
                    "caller": phone("+441623555014"),
                    "callee": user("sam@msp.example"),
                }
            ]
        )
    )
    assert event is not None
    assert event.provider is CallProvider.TEAMS
    assert event.caller == "+441623555014"
    assert event.direction is CallDirection.INBOUND
    assert event.answered_at == datetime(2026, 3, 2, 10, 0, 12, tzinfo=UTC)
    assert event.at == datetime(2026, 3, 2, 10, 6, tzinfo=UTC)
    assert event.missed is False
    assert event.agent_hints[0] == "sam@msp.example"


def test_teams_record_whose_only_session_failed_is_a_missed_call() -> None:
    event = teams_call_event(
        teams_record(
            [
                {
                    "startDateTime": "2026-03-02T10:00:00Z",
                    "caller": phone("+441623555014"),
                    "callee": user("sam@msp.example"),
                    "failureInfo": {"stage": "callSetup", "reason": "noAnswer"},
                }
            ]
        )
    )
    assert event is not None
    assert event.missed is True


def test_teams_meeting_between_colleagues_is_no_call() -> None:
    record = teams_record([{"caller": user("a@msp.example"), "callee": user("b@msp.example")}])
    record["participants"] = []
    assert teams_call_event(record) is None


def test_teams_notification_names_its_call_records() -> None:
    notification = {
        "value": [
            {
                "subscriptionId": "s",
                "clientState": "c",
                "changeType": "created",
                "resource": "communications/callRecords/rec-1",
                "resourceData": {"id": "rec-1", "@odata.type": "#microsoft.graph.callrecord"},
            },
            {"changeType": "created", "resource": "communications/callRecords('rec-2')"},
        ]
    }
    assert teams_record_ids(notification) == ["rec-1", "rec-2"]
