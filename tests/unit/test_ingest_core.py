"""The ingest core (mspdesk.services.ingest.examine) against an in-memory directory: what a
mail is, which ticket it answers and who sent it, before anything is written."""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from mspdesk.domain.mail import MailKind
from mspdesk.services.ingest import MemoryDirectory, examine
from mspdesk.store.dynamo import Principal
from tests.mail_support import message


def directory() -> MemoryDirectory:
    return MemoryDirectory(
        people={
            "alice@acme.example": Principal("end_user", "eu_alice", "cl_acme"),
            "sam@msp.example": Principal("agent", "ag_sam", None),
        },
        domains={"acme.example": "cl_acme"},
        message_ids={"ack-1@desk.example": 7, "known@client.example": 9},
    )


def test_an_end_users_address_matches_them_and_their_client() -> None:
    found = examine(message("Alice <ALICE@acme.example>"), directory())
    assert found.verdict.kind is MailKind.ORDINARY
    assert (found.requester.how, found.requester.client_id, found.requester.person_id) == (
        "address",
        "cl_acme",
        "eu_alice",
    )


def test_an_unknown_person_of_a_clients_domain_matches_the_client_only() -> None:
    found = examine(message("carol@acme.example"), directory())
    assert (found.requester.how, found.requester.client_id, found.requester.person_id) == (
        "domain",
        "cl_acme",
        None,
    )
    assert examine(message("x@nowhere.example"), directory()).requester.how == "none"


def test_the_token_uses_the_desks_prefix() -> None:
    assert examine(message("a@b.example", subject="Re: [#42] x"), directory()).token == 42
    custom = examine(
        message("a@b.example", subject="Re: [Ticket#42] x"), directory(), prefix="Ticket#"
    )
    assert custom.token == 42
    assert (
        examine(message("a@b.example", subject="Re: [#42] x"), directory(), prefix="T-").token
        is None
    )


def test_in_reply_to_then_references_find_the_ticket_we_wrote_from() -> None:
    direct = examine(message("a@b.example", in_reply_to="ack-1@desk.example"), directory())
    assert direct.replied_to == 7
    older = examine(
        message(
            "a@b.example",
            in_reply_to="unknown@x.example",
            references=["known@client.example", "unknown@x.example"],
        ),
        directory(),
    )
    assert older.replied_to == 9


def test_a_mail_seen_before_is_a_duplicate_and_nothing_else_is_looked_at() -> None:
    found = examine(message("alice@acme.example", message_id="known@client.example"), directory())
    assert found.duplicate_of == 9
    assert found.requester.how == "none"


def test_a_bounce_names_the_ticket_of_the_mail_it_returns() -> None:
    bounce = (
        b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <b@mx.example>\r\n\r\nThis is the mail system.\r\n\r\n"
        b"Message-ID: <ack-1@desk.example>\r\nSubject: [#7] Printer\r\n"
    )
    found = examine(bounce, directory())
    assert found.verdict.kind is MailKind.BOUNCE
    assert found.bounce_of == 7
    assert found.token is None


def test_an_agents_forward_is_matched_on_the_original_sender_and_subject() -> None:
    original = message("Alice <alice@acme.example>", subject="VPN down")
    forward = EmailMessage()
    forward["From"] = "sam@msp.example"
    forward["Subject"] = "Fwd: VPN down"
    forward.set_content("For Alice.")
    forward.add_attachment(message_from_bytes(original, policy=default))
    found = examine(forward.as_bytes(), directory())
    assert found.sender.is_staff
    assert (found.requester.how, found.requester.person_id, found.subject) == (
        "address",
        "eu_alice",
        "VPN down",
    )


def test_a_customers_forward_stays_theirs() -> None:
    original = message("someone@else.example", subject="Invoice")
    forward = EmailMessage()
    forward["From"] = "alice@acme.example"
    forward["Subject"] = "Fwd: Invoice"
    forward.set_content("Is this phishing?")
    forward.add_attachment(message_from_bytes(original, policy=default))
    found = examine(forward.as_bytes(), directory())
    assert (found.requester.person_id, found.subject) == ("eu_alice", "Fwd: Invoice")
