"""Mail end to end: a real SMTP server (mspdesk.local.smtp, as `make dev` runs it) stores each
message in the mail bucket on moto and invokes functions/ingest_email with the SES event; the
tickets are read back through the HTTP API. Mail is sent with smtplib, as a person's client
would."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.api import routes_mail
from functions.api.app import create_app
from functions.ingest_email import handler as ingest_handler
from mspdesk import cli
from mspdesk.adapters.blobs import S3Blobs
from mspdesk.adapters.events import RecordingPublisher
from mspdesk.config import Settings
from mspdesk.config import settings as cached_settings
from mspdesk.domain.mail import normalise_message_id
from mspdesk.domain.models import Client, EndUser, utcnow
from mspdesk.local.smtp import LocalSmtp, SmtpIngest, SqsDeadLetters, start_local_smtp
from mspdesk.local.stack import free_port
from mspdesk.mail_config import mail_settings
from mspdesk.runtime import use_local_events
from mspdesk.services.deps import Deps
from mspdesk.store.dynamo import DynamoStore
from mspdesk.store.table import create_table
from tests.mail_support import DESK_ADDRESS, MailDesk, client, mail_desk, message, unique
from tests.unit.builders import make

pytestmark = pytest.mark.e2e


@dataclass
class Rig:
    md: MailDesk
    api: TestClient
    smtp: LocalSmtp
    dlq: str
    tokens: dict[str, str]

    def send(self, raw: bytes, sender: str = "someone@client.example") -> None:
        with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=30) as connection:
            connection.sendmail(sender, [DESK_ADDRESS], raw)

    def as_(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            response = self.api.post("/api/dev/token", json={"email": email})
            response.raise_for_status()
            self.tokens[email] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    def get(self, path: str, email: str | None = None) -> Any:
        response = self.api.get(path, headers=self.as_(email or self.md.desk.agent.email))
        response.raise_for_status()
        return response.json()

    def tickets_of(self, client_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(f"/api/clients/{client_id}/tickets")["items"]
        return found

    def ticket(self, number: int) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/api/tickets/{number}")
        return found


def _smtp(md: MailDesk, deliver: Any, dlq: str) -> LocalSmtp:
    handler = SmtpIngest(
        S3Blobs(client("s3", md.settings)),
        md.bucket,
        md.mail_settings.inbound_prefix,
        deliver,
        SqsDeadLetters(client("sqs", md.settings), dlq),
    )
    return LocalSmtp(handler, port=free_port()).start()


@pytest.fixture(scope="module")
def rig(moto_endpoint: str) -> Iterator[Rig]:
    """One desk, API and SMTP server for the module; each test brings its own client."""
    settings = Settings(
        table_name=unique("mspdesk-mail-e2e-"),
        aws_endpoint_url=moto_endpoint,
        local_mode=True,
        dev_token_secret="test-secret-of-at-least-32-bytes-long",
        region="eu-west-2",
    )
    dynamodb = client("dynamodb", settings)
    create_table(dynamodb, settings.table_name)
    # The handler's own deps run on the wall clock; so do the API's.
    deps = Deps(DynamoStore(dynamodb, settings.table_name), RecordingPublisher(), utcnow)
    with pytest.MonkeyPatch.context() as env, mail_desk(deps, settings) as md:
        dlq = client("sqs", settings).create_queue(QueueName=unique("dlq"))["QueueUrl"]
        for name, value in {
            "MSPDESK_TABLE_NAME": settings.table_name,
            "MSPDESK_AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_REGION": "eu-west-2",
            "MSPDESK_MAIL_BUCKET": md.bucket,
            "MSPDESK_MAIL_FROM": str(md.mail_settings.mail_from),
            "MSPDESK_INGEST_DLQ_URL": dlq,
        }.items():
            env.setenv(name, value)
        _forget()
        use_local_events(md.deps.events)
        app = create_app(settings, deps)
        routes_mail.install(app, settings, deps)
        # As `make dev` starts it: the handler warmed, each message to invoke("ingest_email").
        smtp = start_local_smtp(settings, port=free_port())
        try:
            with TestClient(app) as api:
                yield Rig(md, api, smtp, dlq, {})
        finally:
            smtp.stop()
            use_local_events(None)
            env.undo()
            _forget()
            dynamodb.delete_table(TableName=settings.table_name)
        assert list(md.publisher.errors) == []


@dataclass
class Tenant:
    """A client of this test's own, with its domain and one end-user."""

    client: Client
    domain: str
    alice: EndUser

    @property
    def address(self) -> str:
        return f"alice@{self.domain}"


def _tenant(rig: Rig) -> Tenant:
    domain = f"{unique('t')}.example"
    made = rig.md.client(f"Client {domain}", domain)
    return Tenant(made, domain, rig.md.end_user(made, f"alice@{domain}", "Alice"))


@pytest.fixture
def tenant(rig: Rig) -> Tenant:
    return _tenant(rig)


def _forget() -> None:
    cached_settings.cache_clear()
    mail_settings.cache_clear()
    ingest_handler.reset()


def test_a_mail_sent_with_smtplib_is_a_ticket_in_the_api_once_the_server_accepts_it(
    rig: Rig, tenant: Tenant
) -> None:
    # The local SMTP server answers only after ingest_email has run, so the ticket is in the
    # API the moment smtplib returns: no waiting, whatever the machine's load.
    md = rig.md
    subject = unique("Screen flickers ")
    rig.as_(md.desk.agent.email)
    rig.send(message(f"Alice <alice@{tenant.domain}>", subject=subject), f"alice@{tenant.domain}")
    found = [t for t in rig.tickets_of(tenant.client.id) if t["subject"] == subject]
    assert found, "no ticket"
    (ticket,) = found
    assert (ticket["source"], ticket["end_user_id"]) == ("email", tenant.alice.id)
    detail = rig.ticket(ticket["number"])
    assert [a["kind"] for a in detail["actions"]] == ["email_in"]
    (ack,) = md.sent(tenant.domain)
    assert ack["Subject"] == f"[#{ticket['number']}] {subject}"


def test_replies_thread_by_token_and_by_in_reply_to_through_smtp(rig: Rig, tenant: Tenant) -> None:
    md = rig.md
    rig.send(message(f"alice@{tenant.domain}", subject="Printer"))
    (ticket,) = rig.tickets_of(tenant.client.id)
    number = ticket["number"]
    rig.send(
        message(f"alice@{tenant.domain}", subject=f"RE: [#{number}] Printer", body="Also jams.")
    )
    ack_id = normalise_message_id(str(md.sent(tenant.domain)[0]["Message-ID"]))
    assert ack_id is not None
    rig.send(
        message(
            f"alice@{tenant.domain}",
            subject="that printer",
            body="Fixed itself.",
            in_reply_to=ack_id,
        )
    )
    bodies = [a["body"] for a in rig.ticket(number)["actions"]]
    assert bodies[1:] == ["Also jams.", "Fixed itself."]
    assert len(rig.tickets_of(tenant.client.id)) == 1


def test_senders_are_matched_by_address_domain_or_an_agent_through_smtp(
    rig: Rig, tenant: Tenant
) -> None:
    md = rig.md
    other = _tenant(rig)
    carol = make(
        md.desk.admin,
        "end-users",
        {"client_id": tenant.client.id, "name": "Carol", "emails": [f"carol@{tenant.domain}"]},
    )
    rig.send(
        message(f"Dan <dan@{other.domain}>", subject="New starter", cc=f"carol@{tenant.domain}")
    )
    (bravo_ticket,) = rig.tickets_of(other.client.id)
    dan = rig.ticket(bravo_ticket["number"])["context"]["end_user"]
    assert (dan["name"], dan["emails"]) == ("Dan", [f"dan@{other.domain}"])
    assert rig.get(f"/api/tickets/{bravo_ticket['number']}/watchers") == []  # carol is client A's

    rig.send(
        message(
            f"Alice <alice@{tenant.domain}>", subject="Shared drive", cc=f"carol@{tenant.domain}"
        )
    )
    (acme_ticket,) = rig.tickets_of(tenant.client.id)
    watchers = rig.get(f"/api/tickets/{acme_ticket['number']}/watchers")
    assert [w["person_id"] for w in watchers] == [carol.id]

    stranger = f"{unique('x')}@nobody.example"
    rig.send(message(stranger, subject="Who handles this?"))
    (waiting,) = [m for m in rig.get("/api/mail/unmatched")["items"] if m["sender"] == stranger]
    assert waiting["sender"] == stranger
    response = rig.api.post(
        f"/api/mail/unmatched/{waiting['id']}/assign",
        json={"client_id": other.client.id},
        headers=rig.as_(md.desk.agent.email),
    )
    assert response.status_code == 201
    number = response.json()["ticket_number"]
    assert rig.ticket(number)["client_id"] == other.client.id
    assert waiting["id"] not in [m["id"] for m in rig.get("/api/mail/unmatched")["items"]]


def test_a_reply_reopens_the_resolved_ticket_through_smtp(rig: Rig, tenant: Tenant) -> None:
    md = rig.md
    rig.send(message(f"alice@{tenant.domain}", subject="Outlook crashes"))
    (ticket,) = rig.tickets_of(tenant.client.id)
    number = ticket["number"]
    headers = {**rig.as_(md.desk.agent.email), "If-Match": str(ticket["version"])}
    resolved = rig.api.patch(f"/api/tickets/{number}", json={"status": "resolved"}, headers=headers)
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    rig.send(
        message(
            f"alice@{tenant.domain}",
            subject=f"Re: [#{number}] Outlook crashes",
            body="It crashed again this morning.",
        )
    )
    detail = rig.ticket(number)
    assert detail["status"] == "open"
    assert detail["actions"][-1]["body"] == "It crashed again this morning."


def test_the_same_mail_sent_twice_through_smtp_changes_its_ticket_once(
    rig: Rig, tenant: Tenant
) -> None:
    md = rig.md
    first = message(
        f"alice@{tenant.domain}", subject="Twice", message_id=f"{unique('t')}@c.example"
    )
    rig.send(first)
    rig.send(first)
    (ticket,) = rig.tickets_of(tenant.client.id)
    number = ticket["number"]
    reply = message(
        f"alice@{tenant.domain}",
        subject=f"Re: [#{number}] Twice",
        body="Once more.",
        message_id=f"{unique('r')}@c.example",
    )
    rig.send(reply)
    rig.send(reply)
    assert len(rig.tickets_of(tenant.client.id)) == 1
    assert [a["body"] for a in rig.ticket(number)["actions"]][1:] == ["Once more."]
    assert len(md.sent(tenant.domain)) == 1


def test_automatic_mail_through_smtp_opens_nothing_and_admins_see_why(
    rig: Rig, tenant: Tenant
) -> None:
    md = rig.md
    admin = make(
        md.desk.admin,
        "agents",
        {"name": "Ada", "email": f"{unique('ada')}@msp.example", "role": "admin"},
    )
    rig.send(
        message(
            f"alice@{tenant.domain}",
            subject="Automatic reply: Printer",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert rig.tickets_of(tenant.client.id) == []
    log = [
        e
        for e in rig.get("/api/admin/mail/ignored", admin.email)["items"]
        if e["sender"] == tenant.address
    ]
    assert [(e["kind"], e["reason"]) for e in log] == [
        ("auto_reply", "Auto-Submitted: auto-replied (RFC 3834)")
    ]
    refused = rig.api.get("/api/admin/mail/ignored", headers=rig.as_(md.desk.agent.email))
    assert refused.status_code == 403
    assert md.sent(tenant.domain) == []


def test_a_mail_ingest_fails_on_stays_in_s3_and_the_dlq_until_replayed(
    rig: Rig, tenant: Tenant, capsys: pytest.CaptureFixture[str]
) -> None:
    md = rig.md

    def down(event: dict[str, Any]) -> None:
        raise RuntimeError("ingest_email is down")

    broken = _smtp(md, down, rig.dlq)
    try:
        with smtplib.SMTP(broken.host, broken.port, timeout=30) as connection:
            connection.sendmail(
                f"alice@{tenant.domain}",
                [DESK_ADDRESS],
                message(f"alice@{tenant.domain}", subject="Lost?"),
            )
    finally:
        broken.stop()
    assert rig.tickets_of(tenant.client.id) == []
    sqs = client("sqs", md.settings)
    (dead,) = sqs.receive_message(
        QueueUrl=rig.dlq, VisibilityTimeout=0, MessageAttributeNames=["All"]
    )["Messages"]
    assert "ingest_email is down" in dead["MessageAttributes"]["ErrorMessage"]["StringValue"]
    action = json.loads(dead["Body"])["Records"][0]["ses"]["receipt"]["action"]
    stored = client("s3", md.settings).get_object(
        Bucket=action["bucketName"], Key=action["objectKey"]
    )
    assert b"Subject: Lost?" in stored["Body"].read()

    assert cli.main(["replay", "--dlq", "--wait", "0"]) == 0
    assert "1 replayed, 0 failed" in capsys.readouterr().out
    (ticket,) = rig.tickets_of(tenant.client.id)
    assert ticket["subject"] == "Lost?"
