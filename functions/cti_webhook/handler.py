"""Lambda entry point of the phone webhooks and the screen-pop WebSocket API.

HTTP (API Gateway HTTP API, payload v2) goes to the /cti routes through Mangum; the WebSocket
API's $connect, $disconnect and $default events to functions/cti_webhook/websocket.py.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from functions.cti_webhook import websocket
from functions.cti_webhook.app import create_webhook_app
from functions.cti_webhook.ws_auth import SocketAuthenticator
from mspdesk.config import settings
from mspdesk.cti_runtime import CtiContext
from mspdesk.observability import logger
from mspdesk.runtime import build_deps

_settings = settings()
_deps = build_deps(_settings)
_context = CtiContext.build(_settings, _deps)
_auth = SocketAuthenticator(_settings, _deps.store)
app = create_webhook_app(_context)
_mangum = Mangum(app, lifespan="off")
_SOCKET_EVENTS = ("CONNECT", "DISCONNECT", "MESSAGE")


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if (event.get("requestContext") or {}).get("eventType") in _SOCKET_EVENTS:
        return websocket.handle(event, _context, _auth)
    response: dict[str, Any] = _mangum(event, context)
    return response
