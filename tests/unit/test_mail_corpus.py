"""Every real message in ../shared/data/mail parses, and each kind of mail is told apart.

Expected kinds follow the corpus groups (README in ../shared/data): sisimai rfc3834-* are
auto-replies, rfc3464-* and lhost-* bounces, arf-* feedback reports, not_* ordinary; flanker
bounce_* bounces, complaints_* feedback reports, the rest ordinary. EXCEPTIONS lists the files
that genuinely are another kind than their group, each with the reason.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from mspdesk.domain.mail import MailKind, ParsedMail, classify, parse
from tests.conftest import SHARED_DATA, shared_data

EXCEPTIONS: dict[str, tuple[MailKind, str]] = {
    # Named as a non-bounce by sisimai (it cannot decode it), but it is one: From postmaster,
    # Return-Path <>, Auto-Submitted: auto-replied, "email bounce notification" quoting the
    # bounced mail. RFC 3834 forbids answering it; it must not open a ticket.
    "sisimai/not_rb-issue-368-bug.eml": (MailKind.BOUNCE, "a bounce in plain text"),
    # Apple Mail's one-click unsubscribe, sent with Auto-Submitted: auto-replied.
    "sisimai/bsd_arf-26.eml": (MailKind.AUTO_REPLY, "Auto-Submitted: auto-replied"),
    # Amazon SES notifications mailed by SNS: a complaint, and two successful deliveries.
    "sisimai/bsd_lhost-amazonses-11.eml": (MailKind.FEEDBACK_REPORT, "SES Complaint"),
    "sisimai/bsd_lhost-amazonses-12.eml": (MailKind.AUTO_REPLY, "SES Delivery notification"),
    "sisimai/bsd_lhost-amazonses-13.eml": (MailKind.AUTO_REPLY, "SES Delivery notification"),
    # A read receipt (multipart/report; report-type=disposition-notification).
    "flanker/disposition-notification.eml": (MailKind.READ_RECEIPT, "MDN"),
    # Mailing-list posts of 1996-97 (new-httpd, IETF announcements) with Precedence: bulk,
    # which issue 3 says opens no ticket.
    "flanker/apache-message-news-mime.eml": (MailKind.BULK, "Precedence: bulk"),
    "flanker/from-encoding.eml": (MailKind.BULK, "Precedence: bulk"),
    "flanker/message-external-body.eml": (MailKind.BULK, "Precedence: bulk"),
}

# The Message-ID of the returned message, where the bounce or report shows it.
ORIGINAL_IDS = {
    "flanker/bounce_mailbox-full.eml": "4E326A95.3010907@example.com",
    "flanker/bounce_gmail-invalid-address.eml": (
        "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com"
    ),
    "flanker/complaints_yahoo.eml": "20120711015015.4A8BE2E088E@www.example.com",
    "flanker/disposition-notification.eml": "199509192301.23456@example.org",
    "sisimai/bsd_lhost-amazonses-01.eml": (
        "000001321defbd2a-788e31c8-2be1-422f-a8d4-cf7765cc9ed7-000000@email.amazonses.com"
    ),
    "sisimai/bsd_lhost-gmail-01.eml": "D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com",
    "sisimai/bsd_lhost-office365-04.eml": (
        "SLXP216MB0381A8F03A83505296890D11A9950@SLXP216MB0381.KORP216.PROD.OUTLOOK.COM"
    ),
    "sisimai/bsd_rfc3464-09.eml": "00000000000000000000000000000000000000000@example.org",
    "sisimai/not_rb-issue-368-bug.eml": "68e0b7e3615cd_1dc7010592ed@7cf4d87f87-9r5w2.mail",
}


def _corpus() -> list[str]:
    root = SHARED_DATA / "mail"
    found = sorted(f"{p.parent.name}/{p.name}" for p in root.glob("*/*.eml"))
    return found or ["absent/absent.eml"]


CORPUS = _corpus()


def expected_kind(name: str) -> MailKind:
    if name in EXCEPTIONS:
        return EXCEPTIONS[name][0]
    group, _, file = name.partition("/")
    if group == "sisimai":
        if file.startswith("bsd_rfc3834-"):
            return MailKind.AUTO_REPLY
        if file.startswith(("bsd_rfc3464-", "bsd_lhost-")):
            return MailKind.BOUNCE
        if file.startswith("bsd_arf-"):
            return MailKind.FEEDBACK_REPORT
        return MailKind.ORDINARY
    if file.startswith("bounce_"):
        return MailKind.BOUNCE
    if file.startswith("complaints_"):
        return MailKind.FEEDBACK_REPORT
    return MailKind.ORDINARY


def load(name: str) -> bytes:
    return shared_data("mail", *name.split("/")).read_bytes()


def check_shape(parsed: ParsedMail) -> None:
    assert parsed.message_id
    assert not parsed.message_id.startswith("<")
    assert all("<" not in ref and ">" not in ref for ref in parsed.references)
    assert isinstance(parsed.subject, str)
    assert isinstance(parsed.text, str)
    assert isinstance(parsed.new_text, str)
    assert parsed.date is None or isinstance(parsed.date, datetime)
    assert parsed.date is None or parsed.date.tzinfo is not None
    assert all(a.size == len(a.payload) for a in parsed.attachments)
    assert not any(d.startswith(("unparseable", "unreadable")) for d in parsed.defects)
    # Texts are stored as UTF-8: no lone surrogates may survive decoding.
    parsed.text.encode("utf-8")
    parsed.subject.encode("utf-8")


@pytest.mark.parametrize("name", CORPUS)
def test_every_corpus_message_parses_and_is_classified_as_its_group(name: str) -> None:
    parsed = parse(load(name))
    check_shape(parsed)
    verdict = classify(parsed)
    assert verdict.kind is expected_kind(name), verdict.reason
    if verdict.kind.is_automatic:
        assert not verdict.auto_reply_allowed


@pytest.mark.parametrize("name", sorted(ORIGINAL_IDS))
def test_reports_name_the_message_they_are_about(name: str) -> None:
    assert classify(parse(load(name))).original_message_id == ORIGINAL_IDS[name]


def test_corpus_groups_hold_what_the_readme_says() -> None:
    names = [n for n in CORPUS if n != "absent/absent.eml"]
    if not names:
        pytest.skip("../shared/data/mail is not beside the repository")
    kinds = [expected_kind(n) for n in names]
    assert len(names) == 165
    assert kinds.count(MailKind.ORDINARY) == 35


def test_ordinary_corpus_mail_is_acknowledged_unless_it_asks_not_to_be() -> None:
    verdict = classify(parse(load("flanker/long-links.eml")))
    # "Bob <postmaster@example.com>" writing a normal mail: a ticket, but no robot answer.
    assert verdict.kind is MailKind.ORDINARY
    assert not verdict.auto_reply_allowed
    assert classify(parse(load("flanker/text-only.eml"))).auto_reply_allowed


def test_forwarded_corpus_messages_expose_the_original_sender() -> None:
    enclosed = parse(load("flanker/enclosed.eml"))
    assert enclosed.forwarded_from is not None
    assert enclosed.forwarded_from.address == "dan@example.com"
    assert enclosed.forwarded_subject == "Thanks!"
    chain = parse(load("flanker/multi-received-headers.eml"))
    assert chain.forwarded_from is not None
    assert chain.forwarded_from.address == "example@example.com"
    assert chain.forwarded_subject == "Please forward this email to me"
    attached = parse(load("sisimai/not_is-not-bounce-02.eml"))
    assert attached.forwarded_from is not None
    assert attached.forwarded_from.address == "dummy@example.com"


def test_corpus_bodies_decode_to_readable_text() -> None:
    assert "Как ты поживаешь" in parse(load("flanker/bilingual-simple.eml")).subject
    assert parse(load("sisimai/not_is-not-bounce-01.eml")).subject == "にゃんこ"
    signed = parse(load("flanker/signed.eml"))
    assert signed.text == "a pöstal sign of our times"
    html_only = parse(load("flanker/long-links.eml"))
    assert html_only.html is not None
    assert html_only.text
    assert "<" not in html_only.text.split("\n")[0]
    iphone = parse(load("flanker/iphone.eml"))
    assert [(a.content_type, a.inline) for a in iphone.attachments] == [("image/jpeg", True)]
    reply = parse(load("flanker/from-encoding.eml"))
    assert reply.new_text.startswith("Isn't that the case")
    assert ">" not in reply.new_text
