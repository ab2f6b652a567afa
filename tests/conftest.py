"""Fixtures shared by every test layer.

Integration tests talk to moto's real server over HTTP (one per test session); each test gets
a table of its own, built from the same definition the CDK app and the local stack use.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mspdesk.adapters.events import RecordingPublisher
from mspdesk.config import Settings
from mspdesk.runtime import aws_client
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore
from mspdesk.store.table import create_table

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
_tables = itertools.count()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from mspdesk.local import moto_fixes
    from mspdesk.local.stack import free_port

    moto_fixes.apply()

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def settings(moto_endpoint: str) -> Settings:
    return Settings(
        table_name=f"mspdesk-test-{os.getpid()}-{next(_tables)}",
        aws_endpoint_url=moto_endpoint,
        local_mode=True,
        dev_token_secret="test-secret-of-at-least-32-bytes-long",
        region="eu-west-2",
    )


@pytest.fixture
def dynamodb(settings: Settings) -> Any:
    return aws_client("dynamodb", settings)


@pytest.fixture
def store(settings: Settings, dynamodb: Any) -> Iterator[DynamoStore]:
    create_table(dynamodb, settings.table_name)
    yield DynamoStore(dynamodb, settings.table_name)
    dynamodb.delete_table(TableName=settings.table_name)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))  # a Monday morning


@pytest.fixture
def events() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def deps(store: DynamoStore, events: RecordingPublisher, clock: Clock) -> Deps:
    return Deps(store=store, events=events, clock=clock)


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data/, skipping the test when the handbook is not beside us."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/data/{'/'.join(parts)} is not beside the repository")
    return path
