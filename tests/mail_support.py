"""Helpers of the mail tests: a desk with mail, raw messages, what SES sent (read from moto's
/moto-api/data.json, which lists the RawMessage records of its SES backend)."""

from __future__ import annotations

import itertools
import json
import os
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from email.utils import make_msgid
from typing import Any

from functions.mail_outbound import handler as outbound_handler
from mspdesk.adapters.blobs import BlobRef, S3Blobs
from mspdesk.adapters.events import EventPublisher, InProcessPublisher, RecordingPublisher
from mspdesk.adapters.mail_sender import SesMailSender
from mspdesk.config import Settings
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.mail import parse
from mspdesk.domain.mail_records import mail_key
from mspdesk.domain.models import Action, Client, EndUser, Ticket
from mspdesk.domain.scope import Scope
from mspdesk.local.stack import LocalContext
from mspdesk.mail_config import MailSettings
from mspdesk.runtime import aws_client
from mspdesk.services.admin import lookup
from mspdesk.services.deps import Deps
from mspdesk.services.ingest import IngestOutcome, IngestService
from mspdesk.services.mail_out import OutboundMail
from mspdesk.store.mail import MailStore
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, build_desk, make

MAIL_ROUTES = {"TicketCreated": ("mail_outbound",), "ActionAdded": ("mail_outbound",)}
DESK_ADDRESS = "help@desk.example"
_unique = itertools.count()


_clients: dict[tuple[str, str], Any] = {}


def client(service: str, settings: Settings) -> Any:
    """One boto3 client per service and moto server: making one loads its models (~0.25 s)."""
    key = (service, str(settings.aws_endpoint_url))
    if key not in _clients:
        _clients[key] = aws_client(service, settings)
    return _clients[key]


def unique(prefix: str) -> str:
    return f"{prefix}{os.getpid()}x{next(_unique)}"


def message(
    sender: str,
    subject: str = "Printer on fire",
    body: str = "Smoke is coming out of the second floor printer.",
    *,
    to: str = DESK_ADDRESS,
    cc: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """A raw RFC 5322 message, as a mail client would send it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        mail["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for filename, content_type, payload in attachments:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


def sent_mail(endpoint: str) -> list[dict[str, Any]]:
    """Every raw message moto's SES accepted, oldest first: source, destinations, raw_data."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as response:  # noqa: S310
        data = json.load(response)
    found: list[dict[str, Any]] = data.get("ses", {}).get("RawMessage", [])
    return found


def sent_count(ses: Any) -> int:
    """How many recipients moto's SES has sent to so far (cheaper than reading them)."""
    return int(ses.get_send_quota()["SentLast24Hours"])


def sent_to(endpoint: str, domain: str) -> list[EmailMessage]:
    """The messages SES sent to anyone at `domain`, parsed."""
    out = []
    for record in sent_mail(endpoint):
        if any(d.lower().rstrip(">").endswith("@" + domain) for d in record["destinations"]):
            parsed = BytesParser(policy=default).parsebytes(record["raw_data"].encode())
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
    return out


@dataclass
class MailDesk:
    """A desk (tests.unit.builders) with per-test client domains, a mail bucket on moto, the
    ingest service and mail_outbound delivered in-process from the mail routes."""

    desk: Desk
    settings: Settings
    mail_settings: MailSettings
    ingest: IngestService
    outbound: OutboundMail
    publisher: InProcessPublisher
    events: RecordingPublisher  # every event the services published
    acme: str  # client A's mail domain
    bravo: str  # client B's mail domain
    bucket: str
    ses: Any
    last_ref: BlobRef | None = None

    @property
    def deps(self) -> Deps:
        return self.desk.deps

    @property
    def mail(self) -> MailStore:
        return self.ingest.mail

    def receive(self, raw: bytes, key: str | None = None) -> IngestOutcome:
        """Store the raw mail in the bucket (as the SES rule does), then ingest it. A test's
        hand-moved clock moves a second first: mails arrive one after another."""
        if isinstance(self.deps.clock, Clock):
            self.deps.clock.now += timedelta(seconds=1)
        ref = BlobRef(self.bucket, key or f"{self.mail_settings.inbound_prefix}{unique('m')}")
        self.ingest.store_raw(ref, raw)
        self.last_ref = ref
        return self.ingest.ingest(ref, recipients=[DESK_ADDRESS])

    def ticket(self, number: int) -> Ticket:
        return self.deps.store.get_ticket(number, Scope.system(), consistent=True)

    def actions(self, number: int) -> list[Action]:
        return self.mail.thread(number).actions

    def client(self, name: str, domain: str, **fields: Any) -> Client:
        body = {"name": name, "email_domains": [domain], **fields}
        created: Client = make(self.desk.admin, "clients", body)
        return created

    def end_user(self, client: Client, email: str, name: str = "Someone") -> EndUser:
        created: EndUser = make(
            self.desk.admin, "end-users", {"client_id": client.id, "name": name, "emails": [email]}
        )
        return created

    def sent(self, domain: str) -> list[EmailMessage]:
        return sent_to(str(self.settings.aws_endpoint_url), domain)


@contextmanager
def mail_desk(deps: Deps, settings: Settings, **mail: Any) -> Iterator[MailDesk]:
    """A desk whose clients own unique domains, so that what SES sent is this test's."""
    acme, bravo = f"{unique('acme')}.example", f"{unique('bravo')}.example"
    desk = build_desk(deps)
    admin = desk.admin
    for owner, domain in ((desk.client_a, acme), (desk.client_b, bravo)):
        admin.update(ADMIN, lookup("clients"), owner.id, {"email_domains": [domain]}, None)
    alice = admin.update(
        ADMIN, lookup("end-users"), desk.alice.id, {"emails": [f"alice@{acme}"]}, None
    )
    bob = admin.update(ADMIN, lookup("end-users"), desk.bob.id, {"emails": [f"bob@{bravo}"]}, None)
    desk.alice, desk.bob = alice, bob  # type: ignore[assignment]
    bucket = unique("mail-").lower()
    s3 = client("s3", settings)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    ses = client("ses", settings)
    sender = f"support@{unique('desk')}.example"
    ses.verify_email_identity(EmailAddress=sender)
    config = MailSettings(mail_bucket=bucket, mail_from=sender, **mail)
    outbound = OutboundMail(deps, config, SesMailSender(ses, "eu-west-2"), files=S3Blobs(s3))

    def deliver(consumer: str, event: dict[str, Any]) -> None:
        assert consumer == "mail_outbound"
        outbound_handler._service = outbound
        outbound_handler.handler(event, LocalContext(function_name="mspdesk-mail_outbound"))

    publisher = InProcessPublisher(deliver, routes=MAIL_ROUTES, asynchronous=False)
    recording = RecordingPublisher()
    before = deps.events
    deps.events = _Both(recording, publisher)
    ingest = IngestService(deps, S3Blobs(s3), config)
    try:
        yield MailDesk(
            desk, settings, config, ingest, outbound, publisher, recording, acme, bravo, bucket, ses
        )
    finally:
        outbound_handler.reset()
        deps.events = before


class _Both:
    """Records events for the test and delivers them to mail_outbound."""

    def __init__(self, *publishers: EventPublisher) -> None:
        self._publishers = publishers

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for publisher in self._publishers:
            publisher.publish(events)


def key_of(raw: bytes) -> str:
    return mail_key(parse(raw).message_id)
