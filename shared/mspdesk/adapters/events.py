"""The event-publisher port and its adapters: EventBridge in AWS, in-process delivery locally."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from mspdesk.domain.events import SOURCE, DomainEvent
from mspdesk.routes import ROUTES, consumers_of


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class EventPublishFailed(Exception):
    """EventBridge refused some entries; the caller's retry (Lambda, DLQ) takes over."""


class EventBridgePublisher:
    """PutEvents in batches of 10 (the API's limit); raises on any failed entry.

    The client is made on the first publish: a container that only serves reads never pays
    for it at cold start.
    """

    def __init__(self, client: Any | Callable[[], Any], bus_name: str) -> None:
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self._bus = bus_name

    def _events_client(self) -> Any:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for start in range(0, len(events), 10):
            batch = events[start : start + 10]
            response = self._events_client().put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": event.type,
                        "Detail": json.dumps(event.as_eventbridge()["detail"], default=str),
                        "EventBusName": self._bus,
                    }
                    for event in batch
                ]
            )
            if response.get("FailedEntryCount", 0):
                failed = [e.get("ErrorCode") for e in response["Entries"] if e.get("ErrorCode")]
                raise EventPublishFailed(f"{len(failed)} events not accepted: {failed}")


Deliver = Callable[[str, dict[str, Any]], None]


class InProcessPublisher:
    """Local delivery driven by the same route table as the EventBridge rules.

    Each event goes to its consumers on a worker thread, as EventBridge would deliver it
    asynchronously; the last events are kept for the local console and the tests.
    """

    def __init__(
        self,
        deliver: Deliver,
        routes: Mapping[str, tuple[str, ...]] = ROUTES,
        keep: int = 1000,
        asynchronous: bool = True,
    ) -> None:
        self._deliver = deliver
        self._routes = routes
        self._asynchronous = asynchronous
        self.recent: deque[DomainEvent] = deque(maxlen=keep)
        self.errors: deque[tuple[str, str, str]] = deque(maxlen=100)
        self._held = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """Record events without delivering them (loading demo data, imports): the
        consumers would otherwise race the loader for the tickets it is still writing."""
        self._held = True
        try:
            yield
        finally:
            self._held = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            self.recent.append(event)
            if self._held:
                continue
            for consumer in consumers_of(event.type, self._routes):
                if self._asynchronous:
                    threading.Thread(target=self._run, args=(consumer, event), daemon=True).start()
                else:
                    self._run(consumer, event)

    def _run(self, consumer: str, event: DomainEvent) -> None:
        try:
            self._deliver(consumer, event.as_eventbridge())
        except Exception as exc:
            self.errors.append((consumer, event.type, repr(exc)))


class RecordingPublisher:
    """Keeps what it is given: for unit tests of services."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)

    def types(self) -> list[str]:
        return [e.type for e in self.events]
