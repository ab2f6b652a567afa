"""functions/sla_monitor fed the event shapes it receives: EventBridge ticket events arm the
timers, the state machine's task payload checks, the schedule sweeps, SlaWarning notifies.
The timers are the local ones, calling the handler back as `make dev` does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from functions.sla_monitor import handler as sla_handler
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.adapters.sla_timers import LocalTimers, use_local_timers
from mspdesk.config import Settings
from mspdesk.config import settings as cached_settings
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.sla import SlaTimer
from mspdesk.local.stack import LocalContext
from mspdesk.runtime import use_local_events
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore
from tests.conftest import Clock, shared_data
from tests.unit.builders import ADMIN, Desk, build_desk


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return sla_handler.handler(event, LocalContext(function_name="mspdesk-sla-monitor"))


def eventbridge(event: DomainEvent) -> dict[str, Any]:
    """The real EventBridge envelope (Powertools' sample) carrying a desk event."""
    envelope: dict[str, Any] = json.loads(
        shared_data("events", "powertools-eventBridgeEvent.json").read_text()
    )
    shaped = event.as_eventbridge()
    envelope.update({k: shaped[k] for k in ("detail-type", "source", "detail", "id")})
    return envelope


class Wired:
    def __init__(self, desk: Desk, clock: Clock, published: RecordingPublisher) -> None:
        self.desk = desk
        self.clock = clock
        self.published = published
        self.timers = LocalTimers(self._check, clock=clock)

    def _check(self, timer: SlaTimer, stage: str) -> str:
        answer = invoke(
            {
                "sla_check": {
                    "number": timer.number,
                    "clock": timer.clock,
                    "version": timer.version,
                    "stage": stage,
                }
            }
        )
        return str(answer["outcome"])


@pytest.fixture
def wired(
    settings: Settings, store: DynamoStore, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Wired]:
    published = RecordingPublisher()
    desk = build_desk(Deps(store, published, clock))
    monkeypatch.setenv("MSPDESK_TABLE_NAME", settings.table_name)
    monkeypatch.setenv("MSPDESK_AWS_ENDPOINT_URL", settings.aws_endpoint_url or "")
    monkeypatch.delenv("MSPDESK_SLA_SENDER", raising=False)
    cached_settings.cache_clear()
    use_local_events(published)
    wiring = Wired(desk, clock, published)
    use_local_timers(wiring.timers)
    sla_handler._services = None
    # The handler's services read the desk's clock: Deps take it from build_deps' default.
    monkeypatch.setattr(sla_handler, "build_deps", _with_clock(clock))
    yield wiring
    sla_handler._services = None
    use_local_timers(None)
    use_local_events(None)
    cached_settings.cache_clear()


def _with_clock(clock: Clock) -> Any:
    from mspdesk.runtime import build_deps

    def build(config: Settings) -> Deps:
        deps = build_deps(config)
        deps.clock = clock
        return deps

    return build


def test_ticket_events_arm_timers_whose_checks_warn_through_the_handler(wired: Wired) -> None:
    ticket = wired.desk.ticket()
    created = next(e for e in wired.published.events if e.type == "TicketCreated")
    assert invoke(eventbridge(created)) == {"timers_started": 2}
    assert invoke(eventbridge(created)) == {"timers_started": 0}  # redelivered
    wired.clock.now += timedelta(minutes=91)
    assert wired.timers.run_due() == 1
    (warning,) = [e for e in wired.published.events if e.type == "SlaWarning"]
    assert warning.detail["number"] == ticket.number
    notified = invoke(eventbridge(warning))
    assert notified == {"emailed": 0, "posted": False, "escalated": [], "recorded": True}


def test_the_schedule_sweeps_and_repairs_lost_timers(wired: Wired) -> None:
    wired.desk.ticket()  # its TicketCreated never reached the monitor
    wired.clock.now += timedelta(minutes=100)
    scheduled = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-03-02T11:40:00Z",
        "region": "eu-west-2",
        "resources": ["arn:aws:events:eu-west-2:123456789012:rule/mspdesk-dev-sla"],
        "detail": {},
    }
    assert invoke(scheduled) == {"examined": 1, "changed": 1, "announced": 1, "timers_started": 2}
    assert invoke({}) == {"examined": 0, "changed": 0, "announced": 0, "timers_started": 0}


def test_a_stale_check_answers_stale(wired: Wired) -> None:
    ticket = wired.desk.ticket()
    stale = {"sla_check": {"number": ticket.number, "clock": "response", "version": 9}}
    stale["sla_check"]["stage"] = "warning"
    assert invoke(stale) == {"outcome": "stale"}
    assert wired.desk.deps.store.get_ticket(ticket.number, ADMIN).version == ticket.version
