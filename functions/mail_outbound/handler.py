"""mail_outbound: the desk's outgoing mail, as the consumer of TicketCreated (the
acknowledgement of a ticket opened by email) and ActionAdded (an agent's public reply). See
mspdesk.services.mail_out. A failed send raises: EventBridge retries, then dead-letters."""

from __future__ import annotations

from typing import Any

from mspdesk.config import settings
from mspdesk.mail_config import mail_settings
from mspdesk.mail_runtime import outbound_service
from mspdesk.observability import logger, metrics
from mspdesk.services.mail_out import OutboundMail

_service: OutboundMail | None = None


def service() -> OutboundMail:
    global _service
    if _service is None:
        _service = outbound_service(settings(), mail_settings())
    return _service


def reset() -> None:
    global _service
    _service = None


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    kind = str(event.get("detail-type") or "")
    detail = event.get("detail") or {}
    if detail.get("client_id"):
        logger.append_keys(client_id=detail["client_id"])
    outcome = service().handle(kind, detail)
    metrics.add_metric(name=f"MailOut_{outcome}", unit="Count", value=1)
    logger.info("mail out", event=kind, number=detail.get("number"), outcome=outcome)
    return {"outcome": outcome}
