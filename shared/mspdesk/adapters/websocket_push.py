"""The screen-pop port: send a message to one WebSocket connection. In AWS the connection is
held by API Gateway's WebSocket API (postToConnection through the management API); locally by
the uvicorn server of `make dev` (LocalHub). The services only know `push`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any, Protocol

Message = dict[str, Any]
PUSH_TIMEOUT_SECONDS = 5.0


class ScreenPopPusher(Protocol):
    def push(self, connection_id: str, message: Message) -> bool:
        """Send; False when the connection is gone (the caller forgets it)."""
        ...


def encode(message: Message) -> bytes:
    return json.dumps(message, default=str, separators=(",", ":")).encode()


class ApiGatewayPusher:
    """postToConnection on the WebSocket API's callback URL. The client is made on the first
    push: a webhook that pops nothing never pays for it."""

    def __init__(self, client: Any | Callable[[], Any]) -> None:
        self._client = None if callable(client) else client
        self._make = client if callable(client) else None
        self._lock = threading.Lock()

    def _management(self) -> Any:
        with self._lock:
            if self._client is None and self._make is not None:
                self._client = self._make()
            return self._client

    def push(self, connection_id: str, message: Message) -> bool:
        client = self._management()
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=encode(message))
        except client.exceptions.GoneException:
            return False
        return True


class _Socket(Protocol):
    async def send_text(self, data: str) -> None: ...


class LocalHub:
    """The sockets the local server holds, by connection id. Pushes come from worker threads
    (webhooks run in the thread pool) and are handed to the socket's own event loop."""

    def __init__(self) -> None:
        self._sockets: dict[str, tuple[_Socket, asyncio.AbstractEventLoop]] = {}
        self._lock = threading.Lock()

    def register(
        self, connection_id: str, socket: _Socket, loop: asyncio.AbstractEventLoop
    ) -> None:
        with self._lock:
            self._sockets[connection_id] = (socket, loop)

    def unregister(self, connection_id: str) -> None:
        with self._lock:
            self._sockets.pop(connection_id, None)

    def push(self, connection_id: str, message: Message) -> bool:
        with self._lock:
            found = self._sockets.get(connection_id)
        if found is None:
            return False
        socket, loop = found
        future = asyncio.run_coroutine_threadsafe(socket.send_text(encode(message).decode()), loop)
        try:
            future.result(timeout=PUSH_TIMEOUT_SECONDS)
        except Exception:
            self.unregister(connection_id)
            return False
        return True


_local_hub = LocalHub()


def local_hub() -> LocalHub:
    """The one hub of the local process: the API's socket route registers, the webhooks and
    the in-process event consumers push."""
    return _local_hub


class RecordingPusher:
    """Keeps what it is given, for service tests; `gone` connections refuse."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.gone: set[str] = set()

    def push(self, connection_id: str, message: Message) -> bool:
        if connection_id in self.gone:
            return False
        self.sent.append((connection_id, message))
        return True
