"""SLA monitor: an EventBridge schedule runs the sweep over open tickets whose next SLA
instant has passed (AP7). Step Functions timers per ticket join it with issue 4."""

from __future__ import annotations

from typing import Any

from mspdesk.config import settings
from mspdesk.observability import logger, metrics
from mspdesk.runtime import build_deps
from mspdesk.services.sla import SlaSweeper

_sweeper: SlaSweeper | None = None


def _get_sweeper() -> SlaSweeper:
    global _sweeper
    if _sweeper is None:
        _sweeper = SlaSweeper(build_deps(settings()))
    return _sweeper


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = _get_sweeper().sweep()
    metrics.add_metric(name="SlaTicketsChanged", unit="Count", value=result.changed)
    logger.info("sla sweep", examined=result.examined, changed=result.changed)
    return {"examined": result.examined, "changed": result.changed}
