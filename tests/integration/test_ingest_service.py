"""Email ingestion through the services against moto (DynamoDB, S3, SES): matching,
threading, reopening, loop protection, acknowledgements, agents' replies, attachments and
idempotency. Mail the desk sends is read back from moto's SES."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid

import pytest

from mspdesk.adapters.blobs import BlobRef, BlobStoreFailed, S3Blobs
from mspdesk.config import Settings
from mspdesk.domain.attachments import StoredAttachment
from mspdesk.domain.enums import ActionKind, TicketSource, TicketStatus, Visibility
from mspdesk.domain.errors import NotFound
from mspdesk.domain.mail import normalise_message_id
from mspdesk.runtime import aws_client
from mspdesk.services import mail_out
from mspdesk.services.admin import lookup
from mspdesk.services.attachments import AttachmentService, UploadRequest
from mspdesk.services.deps import Deps
from mspdesk.services.tickets import ActionInput, TicketPatch, TicketService
from tests.conftest import Clock
from tests.mail_support import MailDesk, mail_desk, message
from tests.unit.builders import ADMIN


@pytest.fixture
def md(deps: Deps, settings: Settings) -> Iterator[MailDesk]:
    with mail_desk(deps, settings) as built:
        yield built
    assert list(built.publisher.errors) == []


def _ack(md: MailDesk, domain: str) -> EmailMessage:
    (ack,) = md.sent(domain)
    return ack


def _resolve(md: MailDesk, number: int, status: TicketStatus = TicketStatus.RESOLVED) -> None:
    ticket = md.ticket(number)
    md.desk.tickets.update(md.desk.agent_scope, number, ticket.version, TicketPatch(status=status))


# --- matching ------------------------------------------------------------------------------


def test_a_known_end_users_mail_opens_their_ticket_and_is_acknowledged_with_its_token(
    md: MailDesk,
) -> None:
    raw = message(f"Alice <alice@{md.acme}>", message_id="first@client.example")
    outcome = md.receive(raw)
    assert outcome.outcome == "created"
    number = outcome.ticket_number
    assert number is not None
    ticket = md.ticket(number)
    assert (ticket.client_id, ticket.end_user_id) == (md.desk.client_a.id, md.desk.alice.id)
    assert ticket.source is TicketSource.EMAIL
    assert ticket.contract_id == md.desk.contract_a.id
    (first,) = md.actions(number)
    assert (first.kind, first.visibility, first.author.id) == (
        ActionKind.EMAIL_IN,
        Visibility.PUBLIC,
        md.desk.alice.id,
    )
    assert first.body == "Smoke is coming out of the second floor printer."
    assert first.meta["mail"]["message_id"] == "first@client.example"
    ack = _ack(md, md.acme)
    assert ack["Subject"] == f"[#{number}] Printer on fire"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<first@client.example>"
    assert "Acme Ltd" in str(ack["From"])
    ack_id = normalise_message_id(str(ack["Message-ID"]))
    assert ack_id is not None
    assert md.mail.ticket_by_message_id(ack_id) == number


def test_a_sender_of_a_clients_domain_becomes_an_end_user_of_that_client(md: MailDesk) -> None:
    outcome = md.receive(message(f"Carol New <carol@{md.bravo}>"))
    assert outcome.outcome == "created"
    assert outcome.ticket_number is not None
    ticket = md.ticket(outcome.ticket_number)
    assert ticket.client_id == md.desk.client_b.id
    person = md.deps.store.principal_by_email(f"carol@{md.bravo}")
    assert person is not None
    assert (person.kind, person.client_id, person.id) == (
        "end_user",
        md.desk.client_b.id,
        ticket.end_user_id,
    )


def test_a_client_that_does_not_create_end_users_gets_the_ticket_alone(md: MailDesk) -> None:
    md.desk.admin.update(
        ADMIN, lookup("clients"), md.desk.client_b.id, {"auto_create_end_users": False}, None
    )
    outcome = md.receive(message(f"dan@{md.bravo}"))
    assert outcome.outcome == "created"
    assert outcome.ticket_number is not None
    assert md.ticket(outcome.ticket_number).end_user_id is None
    assert md.deps.store.principal_by_email(f"dan@{md.bravo}") is None


def test_an_unknown_sender_waits_in_the_unmatched_view_until_an_agent_picks_the_client(
    md: MailDesk,
) -> None:
    stranger = f"erin@{md.acme}.unknown.example"
    outcome = md.receive(message(f"Erin <{stranger}>", subject="Need help"))
    assert outcome.outcome == "unmatched"
    assert md.sent(f"{md.acme}.unknown.example") == []
    (waiting,) = md.ingest.unmatched(md.desk.agent_scope).items
    assert (waiting.sender, waiting.subject) == (stranger, "Need help")
    with pytest.raises(NotFound):
        md.ingest.unmatched(md.desk.alice_scope)

    number = md.ingest.assign_unmatched(md.desk.agent_scope, waiting.id, md.desk.client_b.id)
    ticket = md.ticket(number)
    assert ticket.client_id == md.desk.client_b.id
    assert ticket.subject == "Need help"
    assert md.ingest.unmatched(md.desk.agent_scope).items == []
    (ack,) = md.sent(f"{md.acme}.unknown.example")
    assert ack["Subject"] == f"[#{number}] Need help"
    with pytest.raises(NotFound):
        md.ingest.assign_unmatched(md.desk.agent_scope, waiting.id, md.desk.client_b.id)
    assert md.receive(message(f"Erin <{stranger}>", message_id=waiting.message_id)).outcome == (
        "duplicate"
    )


def test_an_agents_forward_opens_the_ticket_for_the_original_sender(md: MailDesk) -> None:
    original = message(f"Alice <alice@{md.acme}>", subject="VPN down", body="VPN is down again.")
    forward = EmailMessage()
    forward["From"] = f"Sam Agent <{md.desk.agent.email}>"
    forward["To"] = "help@desk.example"
    forward["Subject"] = "Fwd: VPN down"
    forward["Message-ID"] = make_msgid(domain="msp.example")
    forward.set_content("Please log this for Alice.")
    forward.add_attachment(message_from_bytes(original, policy=default))
    outcome = md.receive(forward.as_bytes())
    assert outcome.outcome == "created"
    assert outcome.ticket_number is not None
    ticket = md.ticket(outcome.ticket_number)
    assert (ticket.client_id, ticket.end_user_id, ticket.subject) == (
        md.desk.client_a.id,
        md.desk.alice.id,
        "VPN down",
    )
    (first,) = md.actions(ticket.number)
    assert first.meta["mail"]["forwarded_by"] == md.desk.agent.email


# --- threading -----------------------------------------------------------------------------


def test_a_reply_with_the_token_appends_only_its_new_text(md: MailDesk) -> None:
    number = md.receive(message(f"alice@{md.acme}")).ticket_number
    reply = message(
        f"alice@{md.acme}",
        subject=f"Re: [#{number}] Printer on fire",
        body="It is out now, thanks.\n\nOn Mon, 2 Mar 2026, Desk <help@desk.example> wrote:\n"
        "> We have opened ticket 1\n",
    )
    outcome = md.receive(reply)
    assert (outcome.outcome, outcome.ticket_number) == ("appended", number)
    assert number is not None
    _, second = md.actions(number)
    assert second.body == "It is out now, thanks."
    assert second.kind is ActionKind.EMAIL_IN
    assert len(md.sent(md.acme)) == 1  # an acknowledgement for the new ticket only


def test_a_reply_to_our_acknowledgement_threads_by_in_reply_to_alone(md: MailDesk) -> None:
    number = md.receive(message(f"alice@{md.acme}")).ticket_number
    ack_id = normalise_message_id(str(_ack(md, md.acme)["Message-ID"]))
    assert ack_id is not None
    reply = message(
        f"alice@{md.acme}",
        subject="the printer",
        body="Still smoking.",
        in_reply_to=ack_id,
        references=["first@client.example", ack_id],
    )
    outcome = md.receive(reply)
    assert (outcome.outcome, outcome.ticket_number) == ("appended", number)


def test_a_token_typed_by_another_clients_sender_does_not_reach_that_ticket(
    md: MailDesk,
) -> None:
    number = md.receive(message(f"alice@{md.acme}")).ticket_number
    assert number is not None
    outcome = md.receive(message(f"bob@{md.bravo}", subject=f"Re: [#{number}] Printer on fire"))
    assert outcome.outcome == "created"
    assert outcome.ticket_number != number
    assert md.ticket(outcome.ticket_number or 0).client_id == md.desk.client_b.id
    assert len(md.actions(number)) == 1


def test_a_reply_reopens_a_resolved_ticket_within_the_window(md: MailDesk, clock: Clock) -> None:
    number = md.receive(message(f"alice@{md.acme}")).ticket_number
    assert number is not None
    _resolve(md, number)
    clock.now += timedelta(days=3)
    outcome = md.receive(message(f"alice@{md.acme}", subject=f"Re: [#{number}] Printer on fire"))
    assert (outcome.outcome, outcome.ticket_number) == ("reopened", number)
    ticket = md.ticket(number)
    assert ticket.status is TicketStatus.OPEN
    assert ticket.resolved_at is None


def test_a_reply_after_the_window_or_to_a_closed_ticket_opens_a_follow_up(
    md: MailDesk, clock: Clock
) -> None:
    late = md.receive(message(f"alice@{md.acme}")).ticket_number
    closed = md.receive(message(f"alice@{md.acme}", subject="Second")).ticket_number
    assert late is not None
    assert closed is not None
    _resolve(md, late)
    _resolve(md, closed, TicketStatus.CLOSED)
    clock.now += timedelta(days=md.mail_settings.reopen_days + 1)
    for old in (late, closed):
        outcome = md.receive(message(f"alice@{md.acme}", subject=f"Re: [#{old}] again"))
        assert outcome.outcome == "follow_up"
        assert outcome.ticket_number not in (None, old)
        new = md.ticket(outcome.ticket_number or 0)
        assert (new.client_id, new.end_user_id) == (md.desk.client_a.id, md.desk.alice.id)
        (first,) = md.actions(new.number)
        assert first.meta["follows_up"] == old
        assert md.ticket(old).status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


# --- loop protection -----------------------------------------------------------------------


def test_automatic_mail_opens_nothing_is_logged_with_its_reason_and_gets_no_answer(
    md: MailDesk,
) -> None:
    before = len(md.sent(md.acme))
    auto = message(
        f"alice@{md.acme}", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}
    )
    bulk = message(f"news@{md.acme}", subject="Newsletter", headers={"Precedence": "bulk"})
    assert md.receive(auto).outcome == "ignored"
    assert md.receive(bulk).outcome == "ignored"
    assert "TicketCreated" not in md.events.types()
    log = md.ingest.ignored(ADMIN).items
    assert {(e.kind, e.reason) for e in log} >= {
        ("auto_reply", "Auto-Submitted: auto-replied (RFC 3834)"),
        ("bulk", "precedence: bulk"),
    }
    assert len(md.sent(md.acme)) == before


def test_a_bounce_of_our_mail_becomes_a_private_note_and_nothing_is_sent(md: MailDesk) -> None:
    number = md.receive(message(f"alice@{md.acme}")).ticket_number
    assert number is not None
    ack_id = normalise_message_id(str(_ack(md, md.acme)["Message-ID"]))
    status_before = md.ticket(number).status
    bounce = (
        "From: MAILER-DAEMON@mx.example\r\n"
        f"To: {md.mail_settings.mail_from}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; alice@{md.acme}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{ack_id}>\r\nSubject: [#{number}] Printer on fire\r\n"
        "--b--\r\n"
    ).encode()
    outcome = md.receive(bounce)
    assert (outcome.outcome, outcome.ticket_number) == ("bounce_noted", number)
    note = md.actions(number)[-1]
    assert (note.kind, note.visibility, note.author.kind) == (
        ActionKind.NOTE,
        Visibility.PRIVATE,
        "system",
    )
    assert f"alice@{md.acme}" in note.body
    assert "5.1.1" in note.body
    assert md.ticket(number).status is status_before
    (entry,) = [e for e in md.ingest.ignored(ADMIN).items if e.kind == "bounce"]
    assert entry.ticket_number == number
    assert len(md.sent(md.acme)) == 1
    assert md.receive(bounce).outcome == "duplicate"
    assert len(md.actions(number)) == 2


def test_a_mail_asking_for_no_auto_reply_opens_a_ticket_without_acknowledgement(
    md: MailDesk,
) -> None:
    raw = message(f"alice@{md.acme}", headers={"X-Auto-Response-Suppress": "All"})
    assert md.receive(raw).outcome == "created"
    assert md.sent(md.acme) == []


def test_acknowledgements_are_rate_limited_per_sender(deps: Deps, settings: Settings) -> None:
    with mail_desk(deps, settings, acks_per_sender_per_hour=2) as md:
        for n in range(3):
            assert md.receive(message(f"alice@{md.acme}", subject=f"Issue {n}")).outcome == (
                "created"
            )
        md.receive(message(f"carol@{md.acme}", subject="Mine"))
        recipients = [str(m["To"]) for m in md.sent(md.acme)]
        assert recipients.count(f"alice@{md.acme}") == 2
        assert recipients.count(f"carol@{md.acme}") == 1


def test_mail_from_the_desks_own_address_is_never_a_ticket(md: MailDesk) -> None:
    outcome = md.receive(message(str(md.mail_settings.mail_from), subject="[#1] loop"))
    assert outcome.outcome == "ignored"
    assert outcome.reason == "sent from the desk's own address"


# --- watchers and agents' replies ----------------------------------------------------------


def test_known_people_in_cc_watch_the_ticket_and_get_the_agents_public_replies(
    md: MailDesk,
) -> None:
    carol = md.end_user(md.desk.client_a, f"carol@{md.acme}", "Carol")
    raw = message(
        f"Alice <alice@{md.acme}>",
        cc=f"Carol <carol@{md.acme}>, Bob <bob@{md.bravo}>, stranger@elsewhere.example",
        message_id="cc-1@client.example",
    )
    number = md.receive(raw).ticket_number
    assert number is not None
    watchers = md.mail.thread(number).watchers
    assert [(w.email, w.person_id) for w in watchers] == [(f"carol@{md.acme}", carol.id)]

    md.desk.tickets.add_action(
        md.desk.agent_scope,
        number,
        ActionInput(body="Kept aside for the engineers.", visibility=Visibility.PRIVATE),
    )
    md.desk.tickets.add_action(
        md.desk.agent_scope, number, ActionInput(body="An engineer is on the way.")
    )
    _, reply = md.sent(md.acme)
    assert str(reply["To"]) == f"alice@{md.acme}"
    assert str(reply["Cc"]) == f"carol@{md.acme}"
    assert reply["Subject"] == f"Re: [#{number}] Printer on fire"
    assert reply["In-Reply-To"] == "<cc-1@client.example>"
    assert "<cc-1@client.example>" in str(reply["References"])
    assert reply["Auto-Submitted"] is None
    body = reply.get_body(preferencelist=("plain",))
    assert body is not None
    assert "An engineer is on the way." in body.get_content()
    assert "Kept aside" not in body.get_content()
    reply_id = normalise_message_id(str(reply["Message-ID"]))
    assert reply_id is not None
    assert md.mail.ticket_by_message_id(reply_id) == number
    answer = message(
        f"alice@{md.acme}", subject="Re: thanks", body="Great, thanks!", in_reply_to=reply_id
    )
    assert md.receive(answer).ticket_number == number


# --- attachments ---------------------------------------------------------------------------


def test_attachments_go_to_the_bucket_and_larger_ones_are_listed_only(
    deps: Deps, settings: Settings
) -> None:
    with mail_desk(deps, settings, attachment_max_bytes=1000) as md:
        raw = message(
            f"alice@{md.acme}",
            attachments=[
                ("error log.txt", "text/plain", b"E42 paper jam\n"),
                ("photo.png", "image/png", b"\x89PNG" + b"0" * 2000),
            ],
        )
        number = md.receive(raw).ticket_number
        assert number is not None
        (first,) = md.actions(number)
        small, large = first.meta["attachments"]
        assert small["filename"] == "error log.txt"
        assert small["key"].startswith(f"{md.mail_settings.attachment_prefix}")
        assert small["key"].endswith("01-error_log.txt")
        assert large["skipped"] == "larger than 1000 bytes"
        assert "key" not in large
        stored = S3Blobs(aws_client("s3", settings)).get(BlobRef(md.bucket, small["key"]))
        assert stored == b"E42 paper jam\n"


def test_an_agents_reply_mails_the_files_it_carries_and_names_those_too_big_for_mail(
    md: MailDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mail_out, "ATTACHED_BYTES", 1000)
    number = md.receive(message(f"alice@{md.acme}", message_id="files-1@client.example"))
    assert number.ticket_number is not None
    blobs = S3Blobs(aws_client("s3", md.settings))
    files = AttachmentService(md.deps, blobs, md.mail_settings)
    scope = md.desk.agent_scope
    keys = []
    for name, data in (("fix.ps1", b"Restart-Service Spooler\n"), ("big.iso", b"0" * 5000)):
        upload = files.start_upload(
            scope, UploadRequest(filename=name, content_type="text/plain", size=len(data))
        )
        blobs.put(BlobRef(md.bucket, upload.key), data, "text/plain")
        keys.append(upload.key)
    tickets = TicketService(md.deps, files)
    tickets.add_action(
        scope, number.ticket_number, ActionInput(body="Run the script.", attachments=keys)
    )

    _, reply = md.sent(md.acme)
    attached = [(p.get_filename(), p.get_content()) for p in reply.iter_attachments()]
    assert attached == [("fix.ps1", "Restart-Service Spooler\n")]
    body = reply.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert "Files too large for mail, on the ticket in the portal:\n- big.iso\n" in text


def test_a_reply_whose_file_cannot_be_read_is_retried_not_lost(
    md: MailDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = md.receive(message(f"alice@{md.acme}", message_id="files-2@client.example"))
    assert number.ticket_number is not None
    kept = StoredAttachment(
        filename="fix.ps1", content_type="text/plain", size=4, key="attachments/files/x/fix.ps1"
    )
    S3Blobs(aws_client("s3", md.settings)).put(BlobRef(md.bucket, kept.key or ""), b"fix\n")
    calls = {"n": 0}
    real_get = S3Blobs.get

    def flaky(self: S3Blobs, ref: BlobRef) -> bytes:
        calls["n"] += 1
        if calls["n"] == 1:
            raise BlobStoreFailed(str(ref))
        return real_get(self, ref)

    monkeypatch.setattr(S3Blobs, "get", flaky)
    _, action = md.desk.tickets.add_action(
        md.desk.agent_scope, number.ticket_number, ActionInput(body="Run it."), files=[kept]
    )
    assert md.outbound.reply(number.ticket_number, action.id) == "sent"  # the retried event
    _, reply = md.sent(md.acme)
    assert [p.get_filename() for p in reply.iter_attachments()] == ["fix.ps1"]
    (failed,) = md.publisher.errors  # the first delivery failed, and said so
    assert failed[:2] == ("mail_outbound", "ActionAdded")
    md.publisher.errors.clear()


# --- idempotency ---------------------------------------------------------------------------


def test_the_same_mail_delivered_twice_makes_one_ticket_and_one_acknowledgement(
    md: MailDesk,
) -> None:
    raw = message(f"alice@{md.acme}", message_id="twice@client.example")
    first = md.receive(raw)
    again = md.receive(raw, key=None)
    assert first.outcome == "created"
    assert (again.outcome, again.ticket_number) == ("duplicate", first.ticket_number)
    assert md.last_ref is not None
    same_object = md.ingest.ingest(md.last_ref)
    assert same_object.outcome == "duplicate"
    assert len(md.sent(md.acme)) == 1
    assert md.events.types().count("TicketCreated") == 1


def test_a_reply_delivered_twice_appends_once(md: MailDesk) -> None:
    number = md.receive(message(f"alice@{md.acme}")).ticket_number
    reply = message(f"alice@{md.acme}", subject=f"Re: [#{number}] x", message_id="r@c.example")
    assert md.receive(reply).outcome == "appended"
    assert md.receive(reply).outcome == "duplicate"
    assert number is not None
    assert len(md.actions(number)) == 2


def test_the_same_mail_ingested_by_two_workers_at_once_makes_one_ticket(md: MailDesk) -> None:
    raw = message(f"alice@{md.acme}", message_id="race@client.example")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        results.append(md.receive(raw).outcome)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == ["created", "duplicate"]
    assert md.events.types().count("TicketCreated") == 1
    assert len(md.sent(md.acme)) == 1


def test_a_mail_without_message_id_is_acknowledged_without_quoting_the_id_we_made_up(
    md: MailDesk,
) -> None:
    raw = (
        f"From: alice@{md.acme}\r\nTo: help@desk.example\r\nSubject: No id\r\n\r\nHello\r\n"
    ).encode()
    outcome = md.receive(raw)
    assert outcome.outcome == "created"
    (first,) = md.actions(outcome.ticket_number or 0)
    assert first.meta["mail"]["message_id_synthesised"] is True
    ack = _ack(md, md.acme)
    assert ack["In-Reply-To"] is None
    assert ack["References"] is None
    assert md.receive(raw).outcome == "duplicate"
