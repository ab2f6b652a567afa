"""Lambda entry point of the HTTP API: API Gateway HTTP API (payload v2) through Mangum."""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from functions.api.app import create_app
from mspdesk.config import settings
from mspdesk.observability import logger
from mspdesk.runtime import build_deps

_settings = settings()
app = create_app(_settings, build_deps(_settings))
_mangum = Mangum(app, lifespan="off")


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = _mangum(event, context)
    return response
