"""Threading helpers: ticket tokens in subjects, message ids, reply and forward prefixes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mspdesk.domain.mail import (
    format_token,
    is_forward_subject,
    message_ids,
    normalise_message_id,
    normalise_subject,
    parse,
    thread_ids,
    ticket_token,
)
from tests.unit.test_mail_parse import mail


@pytest.mark.parametrize(
    ("subject", "prefix", "number"),
    [
        pytest.param("Re: [#4821] Printer", "#", 4821, id="reply"),
        pytest.param("[#4821]", "#", 4821, id="token-only"),
        pytest.param("AW: WG: Drucker [#4821]", "#", 4821, id="token-at-end"),
        pytest.param("[ #4821 ] spaced", "#", 4821, id="spaces-inside"),
        pytest.param("[#004821]", "#", 4821, id="leading-zeros"),
        pytest.param("[Ticket#4821] Printer", "Ticket#", 4821, id="custom-prefix"),
        pytest.param("[ticket#4821] Printer", "Ticket#", 4821, id="prefix-any-case"),
        pytest.param("[MSP-77] x", "MSP-", 77, id="prefix-with-dash"),
        pytest.param("[T+5] x", "T+", 5, id="prefix-with-regex-character"),
        pytest.param("Re: [#12] Fwd: [#34]", "#", 12, id="first-token-wins"),
        pytest.param("Printer #4821 broken", "#", None, id="no-brackets"),
        pytest.param("order 4821", "#", None, id="bare-number"),
        pytest.param("[4821]", "#", None, id="no-prefix"),
        pytest.param("[#48a21]", "#", None, id="not-a-number"),
        pytest.param("[Ticket#4821]", "#", None, id="other-prefix"),
        pytest.param("[#4821", "#", None, id="unclosed"),
        pytest.param("[#1234567890123]", "#", None, id="too-long"),
        pytest.param("", "#", None, id="empty"),
        pytest.param(None, "#", None, id="none"),
    ],
)
def test_ticket_token(subject: str | None, prefix: str, number: int | None) -> None:
    assert ticket_token(subject, prefix=prefix) == number


@given(
    number=st.integers(min_value=1, max_value=10**12 - 1),
    prefix=st.sampled_from(["#", "Ticket#", "MSP-", "T+", "[x]"]),
    before=st.text(max_size=20),
)
def test_format_token_reads_back(number: int, prefix: str, before: str) -> None:
    subject = f"Re: {format_token(number, prefix)} {before}"
    assert ticket_token(subject, prefix=prefix) == number


def test_thread_ids_are_nearest_first_without_duplicates_or_self() -> None:
    parsed = parse(
        mail(
            "Message-ID: <m3@client.example>",
            "In-Reply-To: <m2@msp.example>",
            "References: <m0@msp.example> <m1@client.example>\r\n <m2@msp.example> "
            "<m3@client.example>",
        )
    )
    assert thread_ids(parsed) == [
        "m2@msp.example",
        "m1@client.example",
        "m0@msp.example",
    ]


def test_thread_ids_of_a_new_mail_are_empty() -> None:
    assert thread_ids(parse(mail())) == []


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("<a@b>", ["a@b"]),
        ("  <a@b>  <c@d>", ["a@b", "c@d"]),
        ("<a@b\r\n >", ["a@b"]),
        ("Your message of Monday <a@b> (comment)", ["a@b"]),
        ("a@b", ["a@b"]),
        ("a@b, c@d", ["a@b", "c@d"]),
        ("<>", []),
        ("no ids here", []),
        (None, []),
    ],
)
def test_message_ids(value: str | None, ids: list[str]) -> None:
    assert message_ids(value) == ids
    assert normalise_message_id(value) == (ids[0] if ids else None)


@pytest.mark.parametrize(
    ("subject", "normal", "forward"),
    [
        ("Re: AW: Printer", "printer", False),
        ("RE[2]: Printer", "printer", False),
        ("Fwd: Printer", "printer", True),
        ("FW: RE: Printer", "printer", True),
        ("WG: Drucker", "drucker", True),
        ("TR: Imprimante", "imprimante", True),
        ("RV: Impresora", "impresora", True),
        ("Doorst: Printer", "printer", True),
        ("[Fwd: Netscape vs. Apache]", "netscape vs. apache", True),
        ("Re: [#4821] Printer", "[#4821] printer", False),
        ("Reboot needed", "reboot needed", False),
    ],
)
def test_subject_prefixes(subject: str, normal: str, forward: bool) -> None:
    assert normalise_subject(subject) == normal
    assert is_forward_subject(subject) is forward
