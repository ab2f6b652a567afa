"""Builds the services' dependencies once per container: AWS adapters in Lambda, the local
adapters when the local runtime passes its own publisher."""

from __future__ import annotations

from typing import Any

from mspdesk.adapters.events import EventBridgePublisher, EventPublisher
from mspdesk.config import Settings
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore


def aws_client(service: str, settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=20),
    )


_local_events: EventPublisher | None = None


def use_local_events(publisher: EventPublisher | None) -> None:
    """The local runtime's choice of publisher for every function it runs in-process."""
    global _local_events
    _local_events = publisher


def build_deps(settings: Settings, events: EventPublisher | None = None) -> Deps:
    store = DynamoStore(aws_client("dynamodb", settings), settings.table_name)
    events = events or _local_events
    if events is None:
        events = EventBridgePublisher(
            lambda: aws_client("events", settings), settings.event_bus_name
        )
    return Deps(store=store, events=events)
