"""Reply separation: the new text of a reply apart from quoted history and signature."""

from __future__ import annotations

import pytest

from mspdesk.domain.mail import split_reply

HISTORY = "> Please restart the print spooler.\n> \n> Support"


@pytest.mark.parametrize(
    "attribution",
    [
        pytest.param(
            "On Mon, 2 Mar 2026 at 10:00, Support <support@msp.example> wrote:", id="gmail"
        ),
        pytest.param(
            "On Mon, 2 Mar 2026 at 10:00, Support Team of the MSP <\nsupport@msp.example> wrote:",
            id="gmail-wrapped",
        ),
        pytest.param("On 2 Mar 2026, at 10:00, Support <support@msp.example> wrote:", id="apple"),
        pytest.param("On 3/2/2026 10:00 AM, Support wrote:", id="thunderbird"),
        pytest.param("Am 02.03.2026 um 10:00 schrieb Support <support@msp.example>:", id="german"),
        pytest.param(
            "Le lun. 2 mars 2026 à 10:00, Support <support@msp.example> a\u00a0écrit\u00a0:",
            id="french",
        ),
        pytest.param(
            "Op ma 2 mrt 2026 om 10:00 schreef Support <support@msp.example>:", id="dutch"
        ),
        pytest.param(
            "El lun, 2 mar 2026 a las 10:00, Support (<support@msp.example>) escribió:",
            id="spanish",
        ),
    ],
)
def test_attribution_line_starts_the_history(attribution: str) -> None:
    text = f"It works again, thanks!\n\n{attribution}\n{HISTORY}"
    split = split_reply(text)
    assert split.new_text == "It works again, thanks!"
    assert split.quoted.startswith(attribution.split("\n")[0])


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(
            "________________________________\nFrom: Support <support@msp.example>\n"
            "Sent: Monday, March 2, 2026 10:00 AM\nTo: Anna Example <anna@client.example>\n"
            "Subject: RE: [#4821] Printer",
            id="outlook",
        ),
        pytest.param(
            "From: Support <support@msp.example>\nSent: 02 March 2026 10:00\n"
            "To: Anna Example\nCc: Bob\nSubject: [#4821] Printer",
            id="outlook-no-rule",
        ),
        pytest.param(
            "-----Original Message-----\nFrom: Support [mailto:support@msp.example]\n"
            "Sent: Monday, March 2, 2026 10:00 AM\nTo: Anna\nSubject: Printer",
            id="original-message",
        ),
        pytest.param(
            "Von: Support <support@msp.example>\nGesendet: Montag, 2. März 2026 10:00\n"
            "An: Anna Example\nBetreff: AW: [#4821] Drucker",
            id="outlook-german",
        ),
        pytest.param(
            "De : Support <support@msp.example>\nEnvoyé : lundi 2 mars 2026 10:00\n"
            "À : Anna Example\nObjet : RE: [#4821] Imprimante",
            id="outlook-french",
        ),
        pytest.param(
            "*From:* Support <support@msp.example>\n*Sent:* Monday, March 2, 2026 10:00 AM\n"
            "*To:* Anna\n*Subject:* Printer",
            id="outlook-bold-markers",
        ),
    ],
)
def test_outlook_header_block_starts_the_history(block: str) -> None:
    text = f"It works again, thanks!\n\n{block}\n\nPlease restart the print spooler."
    split = split_reply(text)
    assert split.new_text == "It works again, thanks!"
    assert "Please restart" in split.quoted


def test_quoted_lines_go_and_bottom_posted_answer_stays() -> None:
    text = (
        "Support wrote:\n> Did the restart help?\n> Is the light green?\n\n"
        "Yes, it did.\n\n-- \nAnna Example\nClient Ltd"
    )
    split = split_reply(text)
    assert split.new_text == "Yes, it did."
    assert split.signature == "Anna Example\nClient Ltd"


def test_answers_between_quoted_lines_are_kept() -> None:
    text = (
        "On Mon, 2 Mar 2026, Support <support@msp.example> wrote:\n"
        "> Did the restart help?\nYes.\n\n> Is the light green?\nNo, orange.\n"
    )
    assert split_reply(text).new_text == "Yes.\n\nNo, orange."


def test_answers_below_a_top_quote_after_some_text_are_kept() -> None:
    text = (
        "Answers below.\n\nOn Mon, 2 Mar 2026, Support <support@msp.example> wrote:\n"
        "> Did the restart help?\nYes.\n"
    )
    assert split_reply(text).new_text == "Answers below.\n\nYes."


def test_mobile_signature_line_is_cut_before_the_history() -> None:
    text = (
        "Sure, go ahead.\n\nSent from my iPhone\n\n"
        "> On 2 Mar 2026, at 10:00, Support <support@msp.example> wrote:\n> May we reboot?"
    )
    split = split_reply(text)
    assert split.new_text == "Sure, go ahead."
    assert split.signature == "Sent from my iPhone"


@pytest.mark.parametrize(
    "line",
    ["Von meinem iPhone gesendet", "Envoyé de mon iPhone", "Get Outlook for Android"],
)
def test_mobile_signatures_in_other_languages(line: str) -> None:
    assert split_reply(f"OK\n\n{line}").signature == line


def test_sign_offs_and_contact_details_are_not_cut() -> None:
    text = "The scanner is offline.\n\nBest regards,\nAnna Example\nPhone +44 20 7946 0000"
    split = split_reply(text)
    assert split.new_text == text
    assert split.signature is None


def test_long_tail_after_dashes_is_not_a_signature() -> None:
    tail = "\n".join(f"log line {i}" for i in range(30))
    text = f"Output below\n--\n{tail}"
    assert split_reply(text).new_text == text


def test_sentence_that_looks_like_an_attribution_is_kept() -> None:
    text = "On Monday the printer wrote:\nnothing at all, just blank pages."
    assert split_reply(text).new_text == text


def test_reply_that_is_all_quote_keeps_the_whole_text() -> None:
    text = "On Mon, 2 Mar 2026, Support <support@msp.example> wrote:\n> Did it help?"
    assert split_reply(text).new_text == text


def test_forward_keeps_the_outlook_block_it_forwards() -> None:
    text = (
        "See below.\n\n________________________________\nFrom: Vendor <v@vendor.example>\n"
        "Sent: Monday, March 2, 2026 9:00 AM\nTo: Anna\nSubject: Licence\n\nRenew now."
    )
    assert split_reply(text, forward=True).new_text == text
    assert split_reply(text).new_text == "See below."


def test_text_without_history_is_unchanged() -> None:
    text = "Printer on floor 2 shows E42.\n\nIt started this morning."
    split = split_reply(text)
    assert (split.new_text, split.quoted, split.signature) == (text, "", None)


def test_gmail_forward_marker_keeps_the_forwarded_headers_whatever_the_subject() -> None:
    text = (
        "Can you look at this?\n\n---------- Forwarded message ---------\n"
        "From: Vendor <v@vendor.example>\nDate: Mon, 2 Mar 2026 at 09:00\n"
        "Subject: Licence\nTo: <anna@client.example>\n\nRenew now."
    )
    assert split_reply(text).new_text == text
