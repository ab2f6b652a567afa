"""The local stand-in for SES receiving: an SMTP server (aiosmtpd) on 127.0.0.1:2525.

Each message is stored in the local mail bucket first, as the receipt rule's S3 action does, and
ingest_email is then invoked with the event that action announces (the shape of
../shared/data/events/ses-s3-event.json). The SMTP answer waits for the ingestion, so once
smtplib returns, the ticket is there. A failed ingestion puts the event in the local dead-letter
queue, as Lambda does after its retries; the message is accepted all the same (SES would have
accepted it too), and `mspdesk replay --dlq` takes it from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from mspdesk.adapters.blobs import BlobRef, BlobStore, S3Blobs
from mspdesk.adapters.mail_events import new_inbound_key, ses_s3_event
from mspdesk.config import Settings
from mspdesk.mail_config import MailSettings, mail_settings
from mspdesk.runtime import aws_client

SMTP_HOST = "127.0.0.1"
SMTP_PORT = 2525
LOCAL_MAIL_FROM = "support@desk.localhost"
INGEST_DLQ = "mspdesk-ingest-email-dlq"
# The envelope says who a message is for; a few headers make the event look like SES's.
_EVENT_HEADERS = ("from", "to", "cc", "subject", "message-id", "date")

log = logging.getLogger("mspdesk.smtp")

Deliver = Callable[[dict[str, Any]], Any]
DeadLetter = Callable[[dict[str, Any], str], None]


class SqsDeadLetters:
    """Puts a failed event on an SQS queue as Lambda's asynchronous DLQ does: the event as the
    body, the error in the ErrorMessage attribute."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def __call__(self, event: dict[str, Any], error: str) -> None:
        self._client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                "ErrorCode": {"DataType": "String", "StringValue": "200"},
                "ErrorMessage": {"DataType": "String", "StringValue": error[:1000] or "error"},
            },
        )


class SmtpIngest:
    """The aiosmtpd handler: store, then announce."""

    def __init__(
        self,
        blobs: BlobStore,
        bucket: str,
        prefix: str,
        deliver: Deliver,
        dead_letter: DeadLetter | None = None,
        region: str = "eu-west-2",
    ) -> None:
        self._blobs = blobs
        self._bucket = bucket
        self._prefix = prefix
        self._deliver = deliver
        self._dead_letter = dead_letter
        self._region = region

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        ref = BlobRef(self._bucket, new_inbound_key(self._prefix))
        try:
            await loop.run_in_executor(None, self._blobs.put, ref, raw, "message/rfc822")
        except Exception:
            log.exception("could not store a received message")
            return "451 4.3.0 Could not store the message; try again later"
        event = ses_s3_event(
            ref,
            sender=str(envelope.mail_from or ""),
            recipients=[str(r) for r in envelope.rcpt_tos],
            headers=_headers(raw),
            region=self._region,
        )
        try:
            await loop.run_in_executor(None, self._deliver, event)
        except Exception as exc:
            log.warning("ingest_email failed on %s: %r", ref, exc)
            if self._dead_letter is not None:
                try:
                    await loop.run_in_executor(None, self._dead_letter, event, repr(exc))
                except Exception:
                    log.exception("could not dead-letter the event of %s", ref)
        return "250 2.0.0 Message accepted"


def _headers(raw: bytes) -> list[tuple[str, str]]:
    try:
        message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    except Exception:  # a header block the parser refuses still makes an event
        return []
    return [(k, str(v)) for k, v in message.items() if k.lower() in _EVENT_HEADERS]


class LocalSmtp:
    """aiosmtpd's threaded controller around an SmtpIngest."""

    def __init__(self, handler: SmtpIngest, host: str = SMTP_HOST, port: int = SMTP_PORT) -> None:
        from aiosmtpd.controller import Controller

        self.host = host
        self.port = port
        self._controller = Controller(
            handler,
            hostname=host,
            port=port,
            enable_SMTPUTF8=True,
            data_size_limit=40 * 1024 * 1024,
        )

    def start(self) -> LocalSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def prepare_local_mail(settings: Settings, s3: Any = None, sqs: Any = None) -> MailSettings:
    """What the CDK app's mail construct makes, on the local moto server: the mail bucket, the
    ingest function's dead-letter queue and a verified sender identity. Sets the environment
    the functions read, keeping what was set before."""
    os.environ.setdefault("MSPDESK_MAIL_FROM", LOCAL_MAIL_FROM)
    mail_settings.cache_clear()
    mail = mail_settings()
    s3 = s3 or aws_client("s3", settings)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=mail.mail_bucket,
            CreateBucketConfiguration={"LocationConstraint": settings.region},
        )
    queue = (sqs or aws_client("sqs", settings)).create_queue(QueueName=INGEST_DLQ)
    os.environ.setdefault("MSPDESK_INGEST_DLQ_URL", queue["QueueUrl"])
    if mail.mail_from:
        aws_client("ses", settings).verify_email_identity(EmailAddress=mail.mail_from)
    mail_settings.cache_clear()
    return mail_settings()


def start_local_smtp(
    settings: Settings,
    deliver: Deliver | None = None,
    host: str = SMTP_HOST,
    port: int = SMTP_PORT,
) -> LocalSmtp:
    """The SMTP server of `make dev`: each message to ingest_email, invoked as Lambda would."""
    s3, sqs = aws_client("s3", settings), aws_client("sqs", settings)
    mail = prepare_local_mail(settings, s3, sqs)
    if deliver is None:
        from functions.ingest_email.handler import service
        from mspdesk.local.stack import invoke

        service()  # the cold start happens now, not on the first mail

        def deliver(event: dict[str, Any]) -> Any:
            return invoke("ingest_email", event)

    dead_letter = SqsDeadLetters(sqs, mail.ingest_dlq_url) if mail.ingest_dlq_url else None
    handler = SmtpIngest(
        S3Blobs(s3), mail.mail_bucket, mail.inbound_prefix, deliver, dead_letter, settings.region
    )
    return LocalSmtp(handler, host, port).start()
