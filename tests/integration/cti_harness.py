"""A desk with phones: the builders' desk plus two more clients, phone numbers, a site's
switchboard, an extension and a dialled number, and the phone features wired to an event
publisher that delivers to the cti_events consumer at once (as EventBridge would, later)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from functions.cti_events.consumer import EVENT_TYPES, CtiEvents
from mspdesk.adapters.graph_calls import CallRecords
from mspdesk.adapters.websocket_push import ScreenPopPusher
from mspdesk.config import Settings
from mspdesk.cti_config import CtiSettings
from mspdesk.cti_runtime import CtiContext
from mspdesk.domain.calls import CtiDirectory
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import Client, EndUser, Site
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, build_desk, make

ALICE_PHONE = "01623 555014"  # client A's end-user
BOB_PHONE = "0115 555 0123"  # client B's end-user
SWITCHBOARD = "0115 555 0100"  # client B's site
CAROL_PHONE = "0114 555 0199"  # client C
DAN_PHONE = "+1 212 555 0100"  # client D, in New York
SUPPORT_LINE = "0115 555 9000"  # our number, answered by the team
EXTENSION = "201"  # the agent's extension


class DeliveringPublisher:
    """Keeps every event and hands those the consumer takes to it straight away."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self.consumer: CtiEvents | None = None

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            self.events.append(event)
            if self.consumer is not None and event.type in EVENT_TYPES:
                self.consumer.process(event.as_eventbridge())

    def of_type(self, event_type: str) -> list[DomainEvent]:
        return [e for e in self.events if e.type == event_type]


@dataclass
class PhoneDesk:
    desk: Desk
    context: CtiContext
    consumer: CtiEvents
    events: DeliveringPublisher
    clock: Clock
    client_c: Client
    client_d: Client
    carol: EndUser
    dan: EndUser
    site_b: Site
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def calls(self) -> Any:
        return self.context.calls


def build_phone_desk(
    store: DynamoStore,
    clock: Clock,
    settings: Settings,
    *,
    cti: CtiSettings | None = None,
    pusher: ScreenPopPusher | None = None,
    graph: CallRecords | None = None,
) -> PhoneDesk:
    events = DeliveringPublisher()
    deps = Deps(store=store, events=events, clock=clock)
    context = CtiContext.build(settings, deps, cti or CtiSettings(), pusher=pusher, graph=graph)
    consumer = CtiEvents(context)
    events.consumer = consumer
    desk = build_desk(deps)
    admin = desk.admin
    from mspdesk.services.admin import lookup

    desk.alice = admin.update(
        ADMIN, lookup("end-users"), desk.alice.id, {"phones": [ALICE_PHONE]}, None
    )  # type: ignore[assignment]
    desk.bob = admin.update(ADMIN, lookup("end-users"), desk.bob.id, {"phones": [BOB_PHONE]}, None)  # type: ignore[assignment]
    site_b = make(
        admin,
        "sites",
        {"client_id": desk.client_b.id, "name": "Bravo HQ", "main_phone": SWITCHBOARD},
    )
    client_c = make(admin, "clients", {"name": "Charlie & Co"})
    client_d = make(admin, "clients", {"name": "Delta Inc"})
    carol = make(
        admin,
        "end-users",
        {"client_id": client_c.id, "name": "Carol", "phones": [CAROL_PHONE], "vip": True},
    )
    dan = make(admin, "end-users", {"client_id": client_d.id, "name": "Dan", "phones": [DAN_PHONE]})
    context.directory.put(
        ADMIN,
        CtiDirectory(
            extensions={EXTENSION: desk.agent.id},
            numbers={SUPPORT_LINE: desk.team.id},
            version=1,
        ),
    )
    context.calls.forget_cache()
    return PhoneDesk(
        desk=desk,
        context=context,
        consumer=consumer,
        events=events,
        clock=clock,
        client_c=client_c,
        client_d=client_d,
        carol=carol,
        dan=dan,
        site_b=site_b,
    )
