"""AI triage, the EventBridge consumer (rule from mspdesk.routes).

- TicketCreated: rules, then the vector or LLM method; applied or suggested;
- TicketUpdated: a resolved ticket joins the history, a reopened one leaves it; an agent's
  change of a triaged field is recorded for the accuracy report.

The service is built on the first event: numpy, the text model and the SDKs load then, so the
module itself imports as little as a bare handler (BENCHMARKS: triage_import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mspdesk.observability import logger

if TYPE_CHECKING:
    from mspdesk.services.triage import TriageService

_service: TriageService | None = None


def service() -> TriageService:
    global _service
    if _service is None:
        from mspdesk.config import settings
        from mspdesk.triage_config import triage_config
        from mspdesk.triage_runtime import triage_service

        _service = triage_service(settings(), triage_config())
    return _service


def forget() -> None:
    """Drop the built service: the next event builds it from the environment again."""
    global _service
    _service = None


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    detail = event.get("detail") or {}
    kind = event.get("detail-type")
    number = int(detail["number"])
    logger.append_keys(ticket_number=number, client_id=detail.get("client_id"))
    if kind == "TicketCreated":
        record = service().triage_new(number, detail.get("chosen") or ())
        if record is None:
            return {"triaged": False}
        logger.info(
            "triaged",
            extra={
                "method": record.method.value,
                "outcome": record.outcome.value,
                "confidence": record.confidence,
                "latency_ms": record.latency_ms,
            },
        )
        return {"triaged": True, "method": record.method.value, "outcome": record.outcome.value}
    if kind == "TicketUpdated":
        service().ticket_changed(
            number, detail.get("changes") or {}, detail.get("by"), detail.get("was")
        )
        return {"updated": True}
    logger.warning("unexpected event", extra={"detail_type": kind})
    return {"ignored": kind}
