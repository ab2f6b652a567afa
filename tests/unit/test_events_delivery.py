"""In-process delivery follows the route table it is given, as the EventBridge rules do."""

from __future__ import annotations

from typing import Any

from mspdesk.adapters.events import InProcessPublisher, RecordingPublisher
from mspdesk.domain.events import DomainEvent
from mspdesk.routes import consumers_of, event_types_of

ROUTES = {
    "TicketCreated": ("triage", "sla_monitor"),
    "TicketUpdated": ("sla_monitor",),
    "CallEnded": ("broken",),
}


def created(number: int) -> DomainEvent:
    return DomainEvent(type="TicketCreated", client_id="cl_a", detail={"number": number})


def test_an_event_reaches_every_consumer_its_route_names_and_no_other() -> None:
    delivered: list[tuple[str, dict[str, Any]]] = []
    publisher = InProcessPublisher(
        lambda consumer, event: delivered.append((consumer, event)),
        routes=ROUTES,
        asynchronous=False,
    )
    publisher.publish([created(7), DomainEvent(type="Unrouted", detail={})])
    assert [consumer for consumer, _ in delivered] == ["triage", "sla_monitor"]
    _, event = delivered[0]
    assert event["detail-type"] == "TicketCreated"
    assert event["source"] == "mspdesk"
    assert event["detail"] == {"number": 7, "client_id": "cl_a"}
    assert [e.type for e in publisher.recent] == ["TicketCreated", "Unrouted"]


def test_a_failing_consumer_is_recorded_and_does_not_stop_the_publisher() -> None:
    delivered: list[str] = []

    def deliver(consumer: str, event: dict[str, Any]) -> None:
        if consumer == "broken":
            raise RuntimeError("consumer exploded")
        delivered.append(consumer)

    publisher = InProcessPublisher(deliver, routes=ROUTES, asynchronous=False)
    publisher.publish([DomainEvent(type="CallEnded", detail={}), created(8)])
    assert delivered == ["triage", "sla_monitor"]
    assert len(publisher.errors) == 1
    consumer, event_type, error = publisher.errors[0]
    assert (consumer, event_type) == ("broken", "CallEnded")
    assert "consumer exploded" in error


def test_the_route_table_answers_both_ways() -> None:
    assert consumers_of("TicketCreated", ROUTES) == ("triage", "sla_monitor")
    assert consumers_of("Nothing", ROUTES) == ()
    assert event_types_of("sla_monitor", ROUTES) == ["TicketCreated", "TicketUpdated"]


def test_the_recording_publisher_keeps_events_in_order() -> None:
    recording = RecordingPublisher()
    recording.publish([created(1)])
    recording.publish([DomainEvent(type="TicketUpdated", detail={})])
    assert recording.types() == ["TicketCreated", "TicketUpdated"]
