"""ingest_email: a received mail, already kept in S3 by the SES receipt rule, becomes the right
ticket update (mspdesk.services.ingest).

Takes every event shape that announces a received mail (mspdesk.adapters.mail_events): SES
receipt rule events (S3 or Lambda action), S3 object-created (direct, via SNS or SQS, or via
EventBridge). Any failure raises after the other mails of the event were tried: Lambda retries
the event, then puts it in the function's dead-letter queue, and the raw mail stays in S3 for
`mspdesk replay`. Ingesting a mail twice changes its ticket once, so retries are safe.
"""

from __future__ import annotations

from typing import Any

from mspdesk.adapters.mail_events import UnknownEvent, received_mail
from mspdesk.config import settings
from mspdesk.mail_config import mail_settings
from mspdesk.mail_runtime import ingest_service
from mspdesk.observability import logger, metrics
from mspdesk.services.ingest import IngestOutcome, IngestService


class IngestFailed(Exception):
    """Some mails of the event were not ingested; the event is retried as a whole."""


_service: IngestService | None = None


def service() -> IngestService:
    """One service per container, built on first use from the environment."""
    global _service
    if _service is None:
        _service = ingest_service(settings(), mail_settings())
    return _service


def reset() -> None:
    """Forget the container's service: the next call reads the environment again."""
    global _service
    _service = None


def ingest_event(event: dict[str, Any], ingest: IngestService | None = None) -> list[IngestOutcome]:
    """Ingest every mail the event announces; raises IngestFailed if any failed."""
    mail = mail_settings()
    chosen = ingest or service()
    outcomes: list[IngestOutcome] = []
    failed = 0
    try:
        announced = received_mail(event, mail.mail_bucket, mail.inbound_prefix)
    except UnknownEvent:
        metrics.add_metric(name="MailEventUnknown", unit="Count", value=1)
        raise
    for received in announced:
        try:
            outcome = chosen.ingest(received.ref, received.received_at, received.recipients)
        except Exception:
            # The location is ours (a bucket key), not the mail's content: safe to log.
            logger.exception("mail not ingested", location=str(received.ref))
            metrics.add_metric(name="MailFailed", unit="Count", value=1)
            failed += 1
            continue
        metrics.add_metric(name=f"Mail_{outcome.outcome}", unit="Count", value=1)
        logger.info(
            "mail ingested",
            mail=outcome.mail,
            outcome=outcome.outcome,
            ticket=outcome.ticket_number,
        )
        outcomes.append(outcome)
    if failed:
        raise IngestFailed(f"{failed} of {failed + len(outcomes)} mails not ingested")
    return outcomes


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcomes = ingest_event(event)
    return {
        "ingested": [
            {"mail": o.mail, "outcome": o.outcome, "ticket": o.ticket_number} for o in outcomes
        ]
    }
