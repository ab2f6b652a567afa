"""Lambda entry point of the phone features' event consumer (EventBridge rule from
mspdesk.routes). Its concurrency is one: the lateral window lives in this container."""

from __future__ import annotations

from typing import Any

from functions.cti_events.consumer import CtiEvents
from mspdesk.config import settings
from mspdesk.cti_runtime import CtiContext
from mspdesk.observability import logger
from mspdesk.runtime import build_deps

_settings = settings()
_context = CtiContext.build(_settings, build_deps(_settings))
_consumer = CtiEvents(_context)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(client_id=(event.get("detail") or {}).get("client_id"))
    return _consumer.process(event)
