"""The nightly run's fan-out port: one message per client, to SQS in AWS (the worker is the
queue's consumer), or straight to the worker in-process locally."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, Field

from mspdesk.domain.billing import Period


class BillingJob(BaseModel):
    """Bill one client for these periods (a run may redo the previous period too)."""

    client_id: str = Field(min_length=1, max_length=64)
    periods: list[Period] = Field(min_length=1, max_length=3)
    run_id: str = ""


class BillingQueue(Protocol):
    def send(self, jobs: Sequence[BillingJob]) -> None: ...


class BillingQueueFailed(Exception):
    """SQS refused some messages; the schedule's retry (and its DLQ) takes over."""


class SqsBillingQueue:
    """SendMessageBatch, ten at a time (the API's limit); raises on any failed message."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, jobs: Sequence[BillingJob]) -> None:
        for start in range(0, len(jobs), 10):
            batch = jobs[start : start + 10]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "MessageBody": job.model_dump_json()}
                    for i, job in enumerate(batch)
                ],
            )
            failed = response.get("Failed") or []
            if failed:
                codes = [f.get("Code") for f in failed]
                raise BillingQueueFailed(f"{len(failed)} billing jobs not accepted: {codes}")


Worker = Callable[[dict[str, Any]], Any]


class InProcessBillingQueue:
    """Local delivery: each batch of ten goes to the worker as the SQS event it would get."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    def send(self, jobs: Sequence[BillingJob]) -> None:
        for start in range(0, len(jobs), 10):
            self._worker(sqs_event(jobs[start : start + 10]))


def sqs_event(jobs: Sequence[BillingJob]) -> dict[str, Any]:
    """The event Lambda's SQS event source hands the worker."""
    return {
        "Records": [
            {
                "messageId": secrets.token_hex(8),
                "receiptHandle": secrets.token_hex(8),
                "body": job.model_dump_json(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:000000000000:mspdesk-local-billing",
                "awsRegion": "eu-west-2",
            }
            for job in jobs
        ]
    }


def jobs_of(event: dict[str, Any]) -> list[tuple[str, BillingJob]]:
    """(message id, job) of each record of an SQS event."""
    return [
        (record["messageId"], BillingJob.model_validate(json.loads(record["body"])))
        for record in event.get("Records", [])
    ]
