"""The screen-pop WebSocket API's routes in AWS: $connect checks the agent's token and
remembers the connection, $disconnect forgets it, $default answers a ping. Pushes go the
other way, through postToConnection (mspdesk.adapters.websocket_push)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from functions.cti_webhook.ws_auth import Refused, SocketAuthenticator
from mspdesk.cti_runtime import CtiContext
from mspdesk.observability import logger


def _answer(status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "body": json.dumps(body or {})}


def handle(event: dict[str, Any], ctx: CtiContext, auth: SocketAuthenticator) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    kind = request.get("eventType")
    connection_id = str(request.get("connectionId") or "")
    if not connection_id:
        return _answer(400)
    connections = ctx.calls.connections
    if kind == "CONNECT":
        token = (event.get("queryStringParameters") or {}).get("token") or ""
        try:
            scope = auth.agent_scope(token)
        except Refused as exc:
            logger.info("screen-pop socket refused", extra={"reason": str(exc)})
            return _answer(401)
        until = ctx.deps.clock() + timedelta(hours=ctx.cti.connection_hours)
        connections.put(connection_id, scope.principal_id, until)
        return _answer(200)
    if kind == "DISCONNECT":
        connections.delete(connection_id)
        return _answer(200)
    body = str(event.get("body") or "")
    if body.strip().lower() in ("ping", '{"action":"ping"}'):
        return _answer(200, {"type": "pong"})
    return _answer(200)
