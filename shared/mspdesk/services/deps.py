"""What a service needs: the store, the event publisher and a clock, injected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from mspdesk.adapters.events import EventPublisher
from mspdesk.domain.models import utcnow
from mspdesk.store.dynamo import DynamoStore


@dataclass
class Deps:
    store: DynamoStore
    events: EventPublisher
    clock: Callable[[], datetime] = field(default=utcnow)
