"""`mspdesk`: operators' commands, one argparse subcommand each.

A subcommand is a function that adds its parser to the subparsers and sets `run` (a function
of the parsed arguments returning the exit code); list it in COMMANDS. Heavy imports go inside
`run`, so `mspdesk --help` stays quick.

The commands read the same environment as the functions (MSPDESK_TABLE_NAME,
MSPDESK_MAIL_BUCKET, ...); against the local stack set MSPDESK_AWS_ENDPOINT_URL to the moto URL
that `make dev` prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
AddCommand = Callable[[Subparsers], None]


# --- replay ---------------------------------------------------------------------------------


def add_replay(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="re-ingest received mail: S3 objects, files, or a dead-letter queue",
        description=(
            "Re-ingest mail. Ingesting a mail twice changes its ticket once, so replaying what "
            "was already ingested is harmless."
        ),
    )
    parser.add_argument(
        "locations",
        nargs="*",
        metavar="LOCATION",
        help="s3://bucket/key, or a key in the mail bucket (inbound/...)",
    )
    parser.add_argument(
        "--file",
        type=Path,
        action="append",
        default=[],
        help="a raw message (.eml): stored in the mail bucket first, then ingested",
    )
    parser.add_argument(
        "--dlq",
        nargs="?",
        const="",
        default=None,
        metavar="QUEUE_URL",
        help="drain a dead-letter queue (default: MSPDESK_INGEST_DLQ_URL); each event that "
        "ingests is deleted, the others stay for a later look",
    )
    parser.add_argument("--max", type=int, default=None, help="at most this many DLQ messages")
    parser.add_argument(
        "--wait", type=int, default=1, help="seconds SQS may wait for messages (0-20)"
    )
    parser.set_defaults(run=run_replay)


def run_replay(args: argparse.Namespace) -> int:
    from mspdesk.adapters.blobs import BlobRef
    from mspdesk.adapters.mail_events import new_inbound_key
    from mspdesk.config import settings
    from mspdesk.mail_config import mail_settings
    from mspdesk.mail_runtime import ingest_service

    config, mail = settings(), mail_settings()
    service = ingest_service(config, mail)
    refs: list[BlobRef] = []
    for location in args.locations:
        if location.startswith("s3://"):
            refs.append(BlobRef.parse(location))
        else:
            refs.append(BlobRef(mail.mail_bucket, location))
    for path in args.file:
        ref = BlobRef(mail.mail_bucket, new_inbound_key(mail.inbound_prefix))
        service.store_raw(ref, path.read_bytes())
        refs.append(ref)
    if not refs and args.dlq is None:
        print("nothing to replay: give locations, --file or --dlq", file=sys.stderr)
        return 2
    failed = 0
    for ref in refs:
        try:
            outcome = service.ingest(ref)
        except Exception as exc:
            failed += 1
            print(f"{ref}: failed: {exc!r}", file=sys.stderr)
            continue
        print(_line(str(ref), outcome.outcome, outcome.ticket_number))
    if args.dlq is not None:
        queue = args.dlq or mail.ingest_dlq_url
        if not queue:
            print("no queue: pass --dlq QUEUE_URL or set MSPDESK_INGEST_DLQ_URL", file=sys.stderr)
            return 2
        failed += _drain(queue, args.max, max(0, min(args.wait, 20)))
    return 1 if failed else 0


def _line(where: str, outcome: str, number: int | None) -> str:
    return f"{where}: {outcome}" + (f" #{number}" if number is not None else "")


def _drain(queue_url: str, limit: int | None, wait: int) -> int:
    """Re-ingest each message of a dead-letter queue (its body is the event Lambda failed
    on); returns how many failed again. A failed message stays invisible for the drain's
    length and then returns to the queue."""
    from mspdesk.adapters.mail_events import received_mail
    from mspdesk.config import settings
    from mspdesk.mail_config import mail_settings
    from mspdesk.mail_runtime import ingest_service
    from mspdesk.runtime import aws_client

    config, mail = settings(), mail_settings()
    service = ingest_service(config, mail)
    sqs = aws_client("sqs", config)
    handled = failed = replayed = 0
    while limit is None or handled < limit:
        batch = 10 if limit is None else max(1, min(10, limit - handled))
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=batch,
            WaitTimeSeconds=wait,
            VisibilityTimeout=900,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            handled += 1
            try:
                event = json.loads(message["Body"])
                for received in received_mail(event, mail.mail_bucket, mail.inbound_prefix):
                    outcome = service.ingest(
                        received.ref, received.received_at, received.recipients
                    )
                    print(_line(str(received.ref), outcome.outcome, outcome.ticket_number))
            except Exception as exc:
                failed += 1
                print(f"dead letter {message['MessageId']}: failed: {exc!r}", file=sys.stderr)
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            replayed += 1
    print(f"dead-letter queue: {replayed} replayed, {failed} failed")
    return failed


# --- triage ---------------------------------------------------------------------------------


def add_triage(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("triage", help="AI triage's vector history")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    reindex = actions.add_parser(
        "reindex",
        help="rebuild the vector index from every resolved ticket",
        description=(
            "Rebuild the vector index from every resolved or closed ticket, refitting the local "
            "text model first when the deployment uses it. Resolved tickets are indexed as they "
            "resolve; run this after changing the embedder or the categories, or to start over."
        ),
    )
    reindex.set_defaults(run=run_triage_reindex)


def run_triage_reindex(args: argparse.Namespace) -> int:
    import time

    from mspdesk.config import settings
    from mspdesk.triage_config import triage_config
    from mspdesk.triage_runtime import triage_service

    started = time.perf_counter()
    state = triage_service(settings(), triage_config()).reindex()
    seconds = time.perf_counter() - started
    print(
        f"indexed {state.count} resolved tickets with {state.embedder} "
        f"(generation {state.generation}) in {seconds:.1f} s"
    )
    return 0


# --- the command line -------------------------------------------------------------------------

COMMANDS: tuple[AddCommand, ...] = (add_replay, add_triage)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mspdesk", description=__doc__.split("\n\n")[0])
    subparsers = top.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for add in COMMANDS:
        add(subparsers)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
