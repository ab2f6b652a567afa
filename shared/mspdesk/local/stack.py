"""Start and stop the local stack; save its state on exit and restore it on the next start."""

from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mspdesk.adapters.events import InProcessPublisher
from mspdesk.config import Settings
from mspdesk.domain.events import DomainEvent
from mspdesk.runtime import aws_client, build_deps, use_local_events
from mspdesk.services.deps import Deps
from mspdesk.store.table import create_table

REGION = "eu-west-2"
STATE_FILE = "state.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class LocalContext:
    """The parts of a Lambda context that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:000000000000:function:local"
    aws_request_id: str = field(default_factory=lambda: secrets.token_hex(16))


def invoke(function: str, event: dict[str, Any]) -> Any:
    """Call functions/<function>/handler.py as Lambda would."""
    module = importlib.import_module(f"functions.{function}.handler")
    return module.handler(event, LocalContext(function_name=f"mspdesk-{function}"))


def deliver_to_function(consumer: str, event: dict[str, Any]) -> None:
    """In-process delivery of an event to its consumer, as an EventBridge rule would."""
    invoke(consumer, event)


@dataclass
class LocalStack:
    state_dir: Path
    moto_port: int = 0
    settings: Settings = field(init=False)
    deps: Deps = field(init=False)
    events: InProcessPublisher = field(init=False)
    _moto: Any = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(
        self,
        restore: bool = True,
        deliver: Callable[[str, dict[str, Any]], None] = deliver_to_function,
    ) -> bool:
        """Start moto and create the resources; True when saved state was restored."""
        from moto.server import ThreadedMotoServer

        from mspdesk.local import moto_fixes

        moto_fixes.apply()

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines

        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.moto_port = self.moto_port or free_port()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._moto.start()
        # Local credentials for moto only; the functions read their settings from the
        # environment exactly as in Lambda.
        os.environ.update(
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - moto accepts any key
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            MSPDESK_AWS_ENDPOINT_URL=f"http://127.0.0.1:{self.moto_port}",
            MSPDESK_LOCAL_MODE="true",
            MSPDESK_DEV_TOKEN_SECRET=self._dev_secret(),
        )
        from mspdesk.config import settings as cached_settings

        cached_settings.cache_clear()
        self.settings = cached_settings()
        self.events = InProcessPublisher(deliver)
        use_local_events(self.events)
        self.deps = build_deps(self.settings, self.events)
        self._create_resources()
        return self._restore() if restore else False

    def _dev_secret(self) -> str:
        path = self.state_dir / "dev-token-secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def _create_resources(self) -> None:
        """The resources the CDK app defines, from the same definitions."""
        create_table(aws_client("dynamodb", self.settings), self.settings.table_name)
        aws_client("events", self.settings).create_event_bus(Name=self.settings.event_bus_name)
        from mspdesk.local.smtp import prepare_local_mail

        # The mail bucket, the ingest DLQ and the SES sender (infra/components/mail.py).
        prepare_local_mail(self.settings)
        from mspdesk.local.triage import prepare_local_triage

        prepare_local_triage(self.settings)

    # --- state ------------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.state_dir / STATE_FILE

    def save(self) -> int:
        """Write every item of the table to .local/state.json; returns the item count."""
        client = aws_client("dynamodb", self.settings)
        items: list[dict[str, Any]] = []
        # A Scan is right here: this is a backup of the whole local table, not a request path.
        for page in client.get_paginator("scan").paginate(TableName=self.settings.table_name):
            items.extend(page["Items"])
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": 1, "table": items}))
        tmp.replace(self.state_file)
        return len(items)

    def _restore(self) -> bool:
        if not self.state_file.exists():
            return False
        state = json.loads(self.state_file.read_text())
        client = aws_client("dynamodb", self.settings)
        items = state.get("table", [])
        for start in range(0, len(items), 25):
            request = {
                self.settings.table_name: [
                    {"PutRequest": {"Item": i}} for i in items[start : start + 25]
                ]
            }
            while request:
                response = client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
        return bool(items)

    # --- schedules ----------------------------------------------------------------------------

    def every(self, seconds: float, name: str, job: Callable[[], None]) -> threading.Thread:
        """Run `job` every `seconds` until stop(), as an EventBridge schedule would."""

        def loop() -> None:
            while not self._stop.wait(seconds):
                try:
                    job()
                except Exception as exc:
                    self.events.errors.append((name, "schedule", repr(exc)))

        thread = threading.Thread(target=loop, name=name, daemon=True)
        thread.start()
        return thread

    def stop(self, save: bool = True) -> None:
        self._stop.set()
        if save:
            self.save()
        if self._moto is not None:
            self._moto.stop()

    def recent_events(self) -> list[DomainEvent]:
        return list(self.events.recent)
