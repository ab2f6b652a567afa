"""Builds the phone features' services once per container: the webhook function, the API's
phone routes, the local server and the tests all take a CtiContext."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from mspdesk.adapters.cti_secrets import (
    CtiSecrets,
    LocalSecretsSource,
    SecretsManagerSource,
    SecretsSource,
)
from mspdesk.adapters.graph_calls import CallRecords, HttpCallRecords
from mspdesk.adapters.websocket_push import ApiGatewayPusher, Message, ScreenPopPusher, local_hub
from mspdesk.config import Settings
from mspdesk.cti_config import CtiSettings, cti_settings
from mspdesk.runtime import aws_client
from mspdesk.services.call_scripts import CallScriptService
from mspdesk.services.calls import CallService
from mspdesk.services.cti_directory import CtiDirectoryService
from mspdesk.services.deps import Deps
from mspdesk.services.problems import ProblemService
from mspdesk.store.cti_directory import DirectoryStore


class NoSecrets:
    """No secret configured: every webhook is refused."""

    def get(self) -> CtiSecrets:
        return CtiSecrets()


class DiscardingPusher:
    """For a function that never pops (the API in AWS): nothing is sent, nothing forgotten."""

    def push(self, connection_id: str, message: Message) -> bool:
        return True


@dataclass
class CtiContext:
    settings: Settings
    cti: CtiSettings
    deps: Deps
    secrets: SecretsSource
    pusher: ScreenPopPusher
    calls: CallService
    directory: CtiDirectoryService
    scripts: CallScriptService
    problems: ProblemService
    graph_override: CallRecords | None = None
    _graph: tuple[tuple[str, str, str], CallRecords] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        deps: Deps,
        cti: CtiSettings | None = None,
        *,
        pusher: ScreenPopPusher | None = None,
        secrets: SecretsSource | None = None,
        graph: CallRecords | None = None,
    ) -> CtiContext:
        cti = cti or cti_settings()
        if pusher is None:
            if settings.local_mode:
                pusher = local_hub()
            elif cti.websocket_endpoint:
                endpoint = cti.websocket_endpoint
                pusher = ApiGatewayPusher(
                    lambda: aws_client(
                        "apigatewaymanagementapi",
                        settings.model_copy(update={"aws_endpoint_url": endpoint}),
                    )
                )
            else:
                pusher = DiscardingPusher()
        if secrets is None:
            if cti.secret_arn:
                arn = cti.secret_arn
                secrets = SecretsManagerSource(
                    lambda: aws_client("secretsmanager", settings), arn, cti.secrets_cache_seconds
                )
            elif settings.local_mode:
                secrets = LocalSecretsSource(DirectoryStore(deps.store), cti.secrets_cache_seconds)
            else:
                secrets = NoSecrets()
        return cls(
            settings=settings,
            cti=cti,
            deps=deps,
            secrets=secrets,
            pusher=pusher,
            calls=CallService(deps, pusher, cti),
            directory=CtiDirectoryService(deps),
            scripts=CallScriptService(deps),
            problems=ProblemService(deps),
            graph_override=graph,
        )

    def graph(self) -> CallRecords:
        """The Graph adapter for the current credentials (made again when they rotate)."""
        if self.graph_override is not None:
            return self.graph_override
        current = self.secrets.get()
        key = (current.graph_tenant_id, current.graph_client_id, current.graph_client_secret)
        with self._lock:
            if self._graph is None or self._graph[0] != key:
                self._graph = (
                    key,
                    HttpCallRecords(
                        login_url=self.cti.graph_login_url,
                        api_url=self.cti.graph_api_url,
                        tenant_id=key[0],
                        client_id=key[1],
                        client_secret=key[2],
                        timeout=self.cti.graph_timeout_seconds,
                    ),
                )
            return self._graph[1]
