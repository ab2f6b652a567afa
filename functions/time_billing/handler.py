"""The nightly billing run: a schedule fans out one job per client to SQS; the queue's
consumer (this same function) builds each client's invoice drafts."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from mspdesk.adapters.billing_queue import (
    BillingJob,
    BillingQueue,
    InProcessBillingQueue,
    SqsBillingQueue,
)
from mspdesk.config import settings
from mspdesk.observability import logger, metrics
from mspdesk.runtime import aws_client, build_deps
from mspdesk.services.billing import BillingService


class BillingSettings(BaseSettings):
    """This function's own configuration, read once per container."""

    model_config = SettingsConfigDict(env_prefix="MSPDESK_", extra="ignore")

    # The fan-out queue; unset locally, where jobs go to the worker in-process.
    billing_queue_url: str | None = None


_service: BillingService | None = None
_queue: BillingQueue | None = None


def _get_service() -> BillingService:
    global _service
    if _service is None:
        _service = BillingService(build_deps(settings()))
    return _service


def _get_queue() -> BillingQueue:
    global _queue
    if _queue is None:
        url = BillingSettings().billing_queue_url
        _queue = (
            SqsBillingQueue(aws_client("sqs", settings()), url)
            if url
            else InProcessBillingQueue(work)
        )
    return _queue


def fan_out(event: dict[str, Any]) -> dict[str, int]:
    run_id = str(event.get("id") or event.get("run_id") or "")
    sent = _get_service().fan_out(_get_queue(), run_id=run_id)
    metrics.add_metric(name="BillingJobsSent", unit="Count", value=sent)
    logger.info("billing fan-out", clients=sent, run_id=run_id)
    return {"clients": sent}


def work(event: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Each message is one client's job; a failed one is reported alone, so SQS retries it
    (and dead-letters it after the queue's receive limit) without redoing the others."""
    service = _get_service()
    failures: list[dict[str, str]] = []
    outcomes: dict[str, int] = {}
    for record in event.get("Records", []):
        message_id = record.get("messageId", "")
        try:
            job = BillingJob.model_validate(json.loads(record["body"]))
            for period in job.periods:
                result = service.run(job.client_id, period)
                outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        except (ValidationError, ValueError, KeyError):
            logger.exception("billing job unreadable", message_id=message_id)
            failures.append({"itemIdentifier": message_id})
        except Exception:
            logger.exception("billing job failed", message_id=message_id)
            failures.append({"itemIdentifier": message_id})
    for outcome, count in outcomes.items():
        metrics.add_metric(name=f"BillingDrafts_{outcome}", unit="Count", value=count)
    return {"batchItemFailures": failures}


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        return work(event)
    return fan_out(event)
