"""Warnings and breaches told to people: SES email (moto) to the assignee or the team, a post
to the team's webhook received by a real HTTP server on 127.0.0.1, the plan's escalation at a
breach, and a private action on the ticket for each, once per announcement."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.adapters.notifications import NotificationFailed, SesEmailSender, WebhookPoster
from mspdesk.config import Settings
from mspdesk.domain.enums import ActionKind, Priority, SlaState, Visibility
from mspdesk.domain.models import Ticket
from mspdesk.runtime import aws_client
from mspdesk.services.admin import lookup
from mspdesk.services.deps import Deps
from mspdesk.services.sla import Announcement, SlaCheck, SlaMonitor, SlaNotifier
from mspdesk.services.tickets import TicketPatch
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, build_desk

SENDER = "sla-alerts@msp.example"
TEAM_EMAIL = "desk-team@msp.example"


class Receiver:
    """A real HTTP server on 127.0.0.1 that keeps every POST it receives."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.posts.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/desk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def desk(deps: Deps, receiver: Receiver) -> Desk:
    built = build_desk(deps)
    team = built.admin.update(
        ADMIN,
        lookup("teams"),
        built.team.id,
        {"email": TEAM_EMAIL, "webhook_url": receiver.url},
        None,
    )
    built.team = team  # type: ignore[assignment]
    return built


def _ses_sent() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent: list[Any] = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-2"].sent_messages
    return sent


_FIRST_OF_THIS_TEST = [0]


@pytest.fixture
def ses(settings: Settings) -> Any:
    client = aws_client("ses", settings)
    client.verify_email_identity(EmailAddress=SENDER)
    # moto's SES is shared by the whole session: count only what this test sends.
    _FIRST_OF_THIS_TEST[0] = len(_ses_sent())
    return client


def sent_to(recipient: str) -> list[Any]:
    """The messages moto's SES (in this process) accepted for `recipient` in this test."""
    return [
        m
        for m in _ses_sent()[_FIRST_OF_THIS_TEST[0] :]
        if recipient in m.destinations.get("ToAddresses", [])
    ]


def notifier(desk: Desk, ses: Any) -> SlaNotifier:
    return SlaNotifier(
        desk.deps,
        email=SesEmailSender(ses, SENDER),
        chat=WebhookPoster(timeout_seconds=5),
        desk_url="https://desk.msp.example",
    )


def announce(desk: Desk, clock: Clock, ticket: Ticket, minutes: int) -> list[Announcement]:
    """Move to `minutes` after creation and let the response timer check: the announcements
    it published, as the notifier receives them."""
    events: RecordingPublisher = desk.deps.events  # type: ignore[assignment]
    before = len(events.events)
    clock.now = ticket.created_at + timedelta(minutes=minutes)
    stored = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert stored.sla.response is not None
    SlaMonitor(desk.deps).check(
        SlaCheck(
            number=ticket.number,
            clock="response",
            version=stored.sla.response.version,
            stage="warning",
        )
    )
    return [
        Announcement.model_validate(e.as_eventbridge()["detail"])
        for e in events.events[before:]
        if e.type in ("SlaWarning", "SlaBreached")
    ]


def notes(desk: Desk, number: int) -> list[str]:
    record = desk.deps.store.get_ticket_record(number, ADMIN, desk.deps.clock())
    found = [a for a in record.actions if a.kind is ActionKind.SLA_NOTIFICATION]
    assert all(a.visibility is Visibility.PRIVATE for a in found)
    return [a.body for a in found]


def test_a_warning_emails_the_assignee_and_posts_to_the_teams_webhook(
    desk: Desk, clock: Clock, ses: Any, receiver: Receiver
) -> None:
    ticket = desk.ticket(agent_id=desk.agent.id, team_id=desk.team.id)
    (warning,) = announce(desk, clock, ticket, 95)
    assert warning.level == "warning"
    result = notifier(desk, ses).notify(warning)
    assert result.emailed == ["sam@msp.example"]
    assert result.posted
    (email,) = sent_to("sam@msp.example")
    assert email.source == SENDER
    assert email.subject.startswith(f"[SLA warning] #{ticket.number} Printer on fire")
    assert f"https://desk.msp.example/tickets/{ticket.number}" in email.body
    (post,) = receiver.posts
    assert post["path"] == "/hooks/desk"
    assert post["content_type"] == "application/json"
    assert f"#{ticket.number}" in post["body"]["text"]
    assert "response" in post["body"]["text"]
    (note,) = notes(desk, ticket.number)
    assert note.startswith("SLA warning on the response clock")
    assert "Emailed sam@msp.example." in note
    assert "Posted to the Service desk channel." in note


def test_an_unassigned_ticket_emails_the_team(
    desk: Desk, clock: Clock, ses: Any, receiver: Receiver
) -> None:
    ticket = desk.ticket(team_id=desk.team.id)
    (warning,) = announce(desk, clock, ticket, 95)
    before = len(sent_to(TEAM_EMAIL))
    assert notifier(desk, ses).notify(warning).emailed == [TEAM_EMAIL]
    assert len(sent_to(TEAM_EMAIL)) == before + 1


def test_a_redelivered_announcement_sends_and_records_nothing_twice(
    desk: Desk, clock: Clock, ses: Any, receiver: Receiver
) -> None:
    ticket = desk.ticket(agent_id=desk.other_agent.id, team_id=desk.team.id)
    (warning,) = announce(desk, clock, ticket, 95)
    first, again = notifier(desk, ses).notify(warning), notifier(desk, ses).notify(warning)
    assert first.emailed == ["kim@msp.example"]
    assert (again.emailed, again.posted, again.recorded) == ([], False, False)
    assert len(sent_to("kim@msp.example")) == 1
    assert len(receiver.posts) == 1
    assert len(notes(desk, ticket.number)) == 1


def test_a_webhook_that_refuses_is_retried_alone_and_recorded_once(
    desk: Desk, clock: Clock, ses: Any, receiver: Receiver
) -> None:
    ticket = desk.ticket(agent_id=desk.agent.id, team_id=desk.team.id)
    (warning,) = announce(desk, clock, ticket, 95)
    emails_before = len(sent_to("sam@msp.example"))
    receiver.status = 500
    with pytest.raises(NotificationFailed, match="webhook"):
        notifier(desk, ses).notify(warning)
    assert notes(desk, ticket.number) == []
    receiver.status = 200
    retried = notifier(desk, ses).notify(warning)
    assert (retried.emailed, retried.posted, retried.recorded) == ([], True, True)
    assert len(sent_to("sam@msp.example")) == emails_before + 1
    assert len(receiver.posts) == 2  # the refused post, then the one that landed
    assert len(notes(desk, ticket.number)) == 1


def test_a_breach_raises_the_priority_and_reassigns_through_the_ticket_service(
    desk: Desk, clock: Clock, ses: Any, receiver: Receiver
) -> None:
    desk.admin.update(
        ADMIN,
        lookup("sla-plans"),
        desk.plan.id,
        {
            "escalations": [
                {"clocks": ["response"], "raise_priority_to": "P1"},
                {"priorities": ["P3"], "assign_agent_id": desk.other_agent.id},
            ]
        },
        None,
    )
    ticket = desk.ticket(agent_id=desk.agent.id, team_id=desk.team.id)
    (breach,) = announce(desk, clock, ticket, 130)
    assert breach.level == "breached"
    result = notifier(desk, ses).notify(breach)
    assert result.escalated == [
        "priority P3 -> P1",
        f"agent_id {desk.agent.id} -> {desk.other_agent.id}",
    ]
    escalated = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert escalated.priority is Priority.P1
    assert escalated.agent_id == desk.other_agent.id
    events: RecordingPublisher = desk.deps.events  # type: ignore[assignment]
    assert events.types().count("TicketUpdated") == 1
    (note,) = notes(desk, ticket.number)
    assert "Escalated: priority P3 -> P1" in note
    # P1 re-targets from creation, already breached: the new version does not breach again.
    assert escalated.sla.response is not None
    assert escalated.sla.response.version == 2
    assert escalated.sla.response.inherited is SlaState.BREACHED
    assert announce(desk, clock, ticket, 131) == []
    assert notifier(desk, ses).notify(breach).escalated == []


def test_an_escalation_retries_on_a_concurrent_change_of_the_ticket(
    desk: Desk, clock: Clock, ses: Any
) -> None:
    desk.admin.update(
        ADMIN,
        lookup("sla-plans"),
        desk.plan.id,
        {"escalations": [{"raise_priority_to": "P2"}]},
        None,
    )
    ticket = desk.ticket()
    (breach,) = announce(desk, clock, ticket, 130)
    tickets = desk.tickets
    original = tickets.update
    raced = []

    def racing_update(scope: Any, number: int, version: int, patch: TicketPatch) -> Ticket:
        if not raced:  # someone else changes the ticket just before the escalation lands
            raced.append(original(desk.agent_scope, number, version, TicketPatch(subject="Hot")))
        return original(scope, number, version, patch)

    service = notifier(desk, ses)
    service._tickets.update = racing_update  # type: ignore[method-assign]
    assert service.notify(breach).escalated == ["priority P3 -> P2"]
    final = desk.deps.store.get_ticket(ticket.number, ADMIN, consistent=True)
    assert (final.subject, final.priority) == ("Hot", Priority.P2)
