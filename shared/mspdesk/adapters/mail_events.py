"""The event shapes that say "a mail was received", read into where its raw bytes are.

- SES receipt rule events (`Records[].ses`): with an S3 action the record names the bucket and
  key; with a Lambda action (after an S3 action, as AWS documents and infra/components/mail.py
  deploys) the object is `<inbound prefix><mail.messageId>` in the mail bucket;
- S3 object-created notifications (`Records[].s3`, keys URL-encoded), also wrapped in SNS or
  SQS, and S3's EventBridge "Object Created";
- SQS messages whose body is any of these: a dead-letter queue's messages, for replay.

Also builds the SES receipt event (S3 action) for the local SMTP server and `mspdesk replay`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from mspdesk.adapters.blobs import BlobRef

_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    ref: BlobRef
    received_at: datetime | None = None
    recipients: tuple[str, ...] = ()


class UnknownEvent(ValueError):
    """Nothing in the event says where a received mail is."""


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ses(record: Mapping[str, Any], bucket: str, prefix: str) -> ReceivedMail | None:
    receipt = _dict(record.get("receipt"))
    mail = _dict(record.get("mail"))
    action = _dict(receipt.get("action"))
    received_at = _when(receipt.get("timestamp")) or _when(mail.get("timestamp"))
    recipients = tuple(str(r) for r in receipt.get("recipients") or [])
    if action.get("type") == "S3" and action.get("bucketName") and action.get("objectKey"):
        ref = BlobRef(str(action["bucketName"]), str(action["objectKey"]))
        return ReceivedMail(ref, received_at, recipients)
    if mail.get("messageId"):
        return ReceivedMail(
            BlobRef(bucket, f"{prefix}{mail['messageId']}"), received_at, recipients
        )
    return None


def _s3(record: Mapping[str, Any]) -> ReceivedMail | None:
    if not str(record.get("eventName", "ObjectCreated")).startswith("ObjectCreated"):
        return None
    data = _dict(record.get("s3"))
    name = _dict(data.get("bucket")).get("name")
    key = _dict(data.get("object")).get("key")
    if not name or not key:
        return None
    return ReceivedMail(BlobRef(str(name), unquote_plus(str(key))), _when(record.get("eventTime")))


def _nested(body: Any, bucket: str, prefix: str, depth: int) -> list[ReceivedMail]:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return []
    if not isinstance(body, dict):
        return []
    if body.get("notificationType") == "Received" or ("receipt" in body and "mail" in body):
        found = _ses(body, bucket, prefix)
        return [found] if found else []
    return _walk(body, bucket, prefix, depth + 1)


def _walk(event: Mapping[str, Any], bucket: str, prefix: str, depth: int) -> list[ReceivedMail]:
    if depth > _MAX_DEPTH:
        return []
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        detail = _dict(event.get("detail"))
        name = _dict(detail.get("bucket")).get("name")
        key = _dict(detail.get("object")).get("key")
        if name and key:
            return [
                ReceivedMail(BlobRef(str(name), unquote_plus(str(key))), _when(event.get("time")))
            ]
        return []
    found: list[ReceivedMail] = []
    records = event.get("Records")
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict):
            continue
        source = record.get("eventSource") or record.get("EventSource")
        one: ReceivedMail | None = None
        if "ses" in record:
            one = _ses(_dict(record["ses"]), bucket, prefix)
        elif "s3" in record:
            one = _s3(record)
        elif source == "aws:sns":
            found.extend(_nested(_dict(record.get("Sns")).get("Message"), bucket, prefix, depth))
        elif source == "aws:sqs" or "body" in record:
            found.extend(_nested(record.get("body"), bucket, prefix, depth))
        if one is not None:
            found.append(one)
    return found


def received_mail(event: Mapping[str, Any], bucket: str, prefix: str) -> list[ReceivedMail]:
    """Where each mail the event announces is kept. Raises UnknownEvent when the event
    announces none: it is not one of ours, and retrying will not change that."""
    found = _walk(event, bucket, prefix, 0)
    if not found:
        raise UnknownEvent("the event names no received mail")
    return list(dict.fromkeys(found))


def ses_s3_event(
    ref: BlobRef,
    *,
    sender: str = "",
    recipients: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
    received_at: datetime | None = None,
    ses_message_id: str | None = None,
    region: str = "eu-west-2",
) -> dict[str, Any]:
    """The event an SES receipt rule's S3 action announces (the shape of
    ../shared/data/events/ses-s3-event.json), for a message stored at `ref`."""
    at = (received_at or datetime.now(UTC)).astimezone(UTC)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    first = {name.lower(): value for name, value in reversed(headers)}
    verdict = {"status": "PASS"}
    return {
        "Records": [
            {
                "eventVersion": "1.0",
                "eventSource": "aws:ses",
                "ses": {
                    "receipt": {
                        "timestamp": stamp,
                        "processingTimeMillis": 0,
                        "recipients": list(recipients),
                        "spamVerdict": verdict,
                        "virusVerdict": verdict,
                        "spfVerdict": {"status": "GRAY"},
                        "dkimVerdict": {"status": "GRAY"},
                        "dmarcVerdict": {"status": "GRAY"},
                        "action": {
                            "type": "S3",
                            "topicArn": f"arn:aws:sns:{region}:000000000000:mspdesk-local",
                            "bucketName": ref.bucket,
                            "objectKey": ref.key,
                        },
                    },
                    "mail": {
                        "timestamp": stamp,
                        "source": sender,
                        "messageId": ses_message_id or ref.key.rpartition("/")[2],
                        "destination": list(recipients),
                        "headersTruncated": False,
                        "headers": [{"name": k, "value": v} for k, v in headers],
                        "commonHeaders": {
                            "returnPath": sender,
                            "from": [first["from"]] if "from" in first else [],
                            "to": [first["to"]] if "to" in first else [],
                            "messageId": first.get("message-id", ""),
                            "subject": first.get("subject", ""),
                        },
                    },
                },
            }
        ]
    }


def new_inbound_key(prefix: str) -> str:
    """A key like the ones SES gives received mail: unique, no meaning."""
    return f"{prefix}{secrets.token_hex(20)}"
