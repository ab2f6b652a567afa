"""The event shapes that announce a received mail (mspdesk.adapters.mail_events), read from
the real samples in ../shared/data/events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from mspdesk.adapters.blobs import BlobRef
from mspdesk.adapters.mail_events import ReceivedMail, UnknownEvent, received_mail, ses_s3_event
from tests.conftest import shared_data

BUCKET = "mspdesk-mail"
PREFIX = "inbound/"


def sample(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(shared_data("events", name).read_text())
    return found


def test_an_ses_receipt_with_an_s3_action_names_the_bucket_and_key() -> None:
    (mail,) = received_mail(sample("ses-s3-event.json"), BUCKET, PREFIX)
    assert mail.ref == BlobRef("my-S3-bucket", "email")
    assert mail.received_at == datetime(2015, 9, 11, 20, 32, 33, 936000, tzinfo=UTC)
    assert mail.recipients == ("recipient@example.com",)


def test_an_ses_receipt_with_a_lambda_action_is_the_s3_actions_object_by_message_id() -> None:
    (mail,) = received_mail(sample("ses-lambda-event.json"), BUCKET, PREFIX)
    assert mail.ref == BlobRef(BUCKET, "inbound/6n4thuhcbhpfiuf25gshf70rss364fuejrvmqko1")
    (powertools,) = received_mail(sample("powertools-sesEvent.json"), BUCKET, PREFIX)
    assert powertools.ref.bucket == BUCKET


def test_an_s3_put_names_its_object_with_the_key_url_decoded() -> None:
    (mail,) = received_mail(sample("s3-event.json"), BUCKET, PREFIX)
    assert mail.ref == BlobRef("sourcebucket", "Happy Face.jpg")


def test_s3_object_created_through_eventbridge_names_its_object() -> None:
    event = sample("powertools-s3EventBridgeNotificationObjectCreatedEvent.json")
    (mail,) = received_mail(event, BUCKET, PREFIX)
    assert mail.ref == BlobRef("example-bucket", "IMG_m7fzo3.jpg")


def test_events_wrapped_in_sqs_or_sns_are_unwrapped() -> None:
    inner = sample("s3-event.json")
    sqs = sample("sqs-event.json")
    sqs["Records"][0]["body"] = json.dumps(inner)
    sns = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {"Message": json.dumps(sample("ses-s3-event.json")["Records"][0]["ses"])},
            }
        ]
    }
    assert [m.ref for m in received_mail(sqs, BUCKET, PREFIX)] == [
        BlobRef("sourcebucket", "Happy Face.jpg")
    ]
    assert [m.ref for m in received_mail(sns, BUCKET, PREFIX)] == [BlobRef("my-S3-bucket", "email")]


@pytest.mark.parametrize(
    "name",
    ["sqs-event.json", "powertools-eventBridgeEvent.json", "apigw-v2-request-no-authorizer.json"],
)
def test_an_event_that_announces_no_mail_is_refused(name: str) -> None:
    with pytest.raises(UnknownEvent):
        received_mail(sample(name), BUCKET, PREFIX)


def test_an_s3_event_other_than_a_creation_announces_nothing() -> None:
    event = sample("s3-event.json")
    event["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    with pytest.raises(UnknownEvent):
        received_mail(event, BUCKET, PREFIX)


def test_the_local_event_has_the_shape_of_the_real_one_and_reads_back() -> None:
    ref = BlobRef("local-mail", "inbound/abc")
    at = datetime(2026, 3, 2, 10, 0, 0, 250000, tzinfo=UTC)
    made = ses_s3_event(
        ref,
        sender="alice@acme.example",
        recipients=["help@desk.example"],
        headers=[("From", "Alice <alice@acme.example>"), ("Subject", "Printer")],
        received_at=at,
    )
    real = sample("ses-s3-event.json")

    def keys(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: keys(v) for k, v in value.items() if k not in ("dmarcPolicy",)}
        return None

    real_ses, made_ses = real["Records"][0]["ses"], made["Records"][0]["ses"]
    assert set(keys(made_ses)) == set(keys(real_ses))
    assert set(made_ses["receipt"]["action"]) == set(real_ses["receipt"]["action"])
    assert set(made_ses["mail"]) == set(real_ses["mail"])
    assert made_ses["receipt"]["timestamp"] == "2026-03-02T10:00:00.250Z"
    assert received_mail(made, "other", "x/") == [ReceivedMail(ref, at, ("help@desk.example",))]
