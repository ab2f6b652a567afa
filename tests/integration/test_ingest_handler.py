"""functions/ingest_email fed the real event shapes of ../shared/data/events, against moto;
its failures, the dead-letter queue and `mspdesk replay`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.ingest_email import handler as ingest_handler
from mspdesk import cli
from mspdesk.adapters.blobs import BlobRef
from mspdesk.adapters.mail_events import UnknownEvent, ses_s3_event
from mspdesk.config import Settings
from mspdesk.config import settings as cached_settings
from mspdesk.local.stack import LocalContext
from mspdesk.mail_config import mail_settings
from mspdesk.runtime import aws_client, use_local_events
from mspdesk.services.deps import Deps
from tests.conftest import shared_data
from tests.mail_support import MailDesk, mail_desk, message, unique


@pytest.fixture
def md(deps: Deps, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailDesk]:
    """A mail desk, and the environment the handler reads in Lambda pointing at it."""
    with mail_desk(deps, settings) as built:
        for name, value in {
            "MSPDESK_TABLE_NAME": settings.table_name,
            "MSPDESK_AWS_ENDPOINT_URL": str(settings.aws_endpoint_url),
            "AWS_REGION": "eu-west-2",
            "MSPDESK_MAIL_BUCKET": built.bucket,
            "MSPDESK_MAIL_FROM": str(built.mail_settings.mail_from),
        }.items():
            monkeypatch.setenv(name, value)
        _forget()
        use_local_events(built.deps.events)
        try:
            yield built
        finally:
            use_local_events(None)
            monkeypatch.undo()
            _forget()
    assert list(built.publisher.errors) == []


def _forget() -> None:
    cached_settings.cache_clear()
    mail_settings.cache_clear()
    ingest_handler.reset()


def _event(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(shared_data("events", name).read_text())
    return found


def _put(md: MailDesk, ref: BlobRef, raw: bytes) -> None:
    s3 = aws_client("s3", md.settings)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=ref.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
    s3.put_object(Bucket=ref.bucket, Key=ref.key, Body=raw)


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = ingest_handler.handler(event, LocalContext("mspdesk-ingest_email"))
    return result


@pytest.mark.parametrize(
    ("sample", "where"),
    [
        ("ses-s3-event.json", ("my-S3-bucket", "email")),
        ("ses-lambda-event.json", (None, "inbound/6n4thuhcbhpfiuf25gshf70rss364fuejrvmqko1")),
        ("s3-event.json", ("sourcebucket", "Happy Face.jpg")),
        (
            "powertools-s3EventBridgeNotificationObjectCreatedEvent.json",
            ("example-bucket", "IMG_m7fzo3.jpg"),
        ),
    ],
)
def test_the_handler_ingests_the_mail_each_real_event_shape_names(
    md: MailDesk, sample: str, where: tuple[str | None, str]
) -> None:
    bucket, key = where
    subject = unique("Shape ")
    _put(md, BlobRef(bucket or md.bucket, key), message(f"alice@{md.acme}", subject=subject))
    result = _invoke(_event(sample))
    (only,) = result["ingested"]
    assert only["outcome"] == "created"
    ticket = md.ticket(only["ticket"])
    assert (ticket.subject, ticket.client_id) == (subject, md.desk.client_a.id)
    (ack,) = md.sent(md.acme)
    assert ack["Subject"] == f"[#{ticket.number}] {subject}"


def test_an_event_of_another_kind_is_refused_so_that_it_is_dead_lettered(md: MailDesk) -> None:
    with pytest.raises(UnknownEvent):
        _invoke(_event("sqs-event.json"))


def test_a_mail_that_cannot_be_read_fails_the_event_and_a_replay_of_the_dlq_ingests_it(
    md: MailDesk, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = BlobRef(md.bucket, f"inbound/{unique('late')}")
    event = ses_s3_event(ref, sender=f"alice@{md.acme}")
    with pytest.raises(ingest_handler.IngestFailed):
        _invoke(event)
    # Lambda puts the failed event in the dead-letter queue as the message body.
    sqs = aws_client("sqs", md.settings)
    queue = sqs.create_queue(QueueName=unique("ingest-dlq"))["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    poison = ses_s3_event(BlobRef(md.bucket, "inbound/never-there"))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(poison))
    # The object arrives (SES stores it before invoking; here, late), then the replay.
    _put(md, ref, message(f"alice@{md.acme}", subject="Late"))
    assert cli.main(["replay", "--dlq", queue, "--wait", "0"]) == 1
    out = capsys.readouterr()
    assert f"{ref}: created #" in out.out
    assert "1 replayed, 1 failed" in out.out
    assert "BlobNotFound" in out.err
    left = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, WaitTimeSeconds=0)
    assert left.get("Messages", []) == []  # the failed one is hidden for the drain's length
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_replay_of_an_object_or_a_file_ingests_it_once(
    md: MailDesk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = BlobRef(md.bucket, f"inbound/{unique('r')}")
    raw = message(f"alice@{md.acme}", subject="Replayed", message_id="replayed@client.example")
    _put(md, ref, raw)
    assert cli.main(["replay", str(ref)]) == 0
    assert cli.main(["replay", ref.key]) == 0
    file = tmp_path / "kept.eml"
    file.write_bytes(message(f"alice@{md.acme}", subject="From a file"))
    assert cli.main(["replay", "--file", str(file)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("s3://")]
    assert lines[0].startswith(f"{ref}: created #")
    assert lines[1].startswith(f"{ref}: duplicate #")
    assert lines[2].startswith(f"s3://{md.bucket}/inbound/")
    assert ": created #" in lines[2]
    assert cli.main(["replay"]) == 2
