"""Parsing raw mail: headers, charsets, HTML, attachments, forwarded messages, broken MIME."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from mspdesk.domain.mail import (
    SYNTHETIC_DOMAIN,
    Address,
    decode_bytes,
    decode_header_words,
    html_to_text,
    parse,
)


def mail(*headers: str, body: bytes | str = b"Hello\n", ctype: str | None = None) -> bytes:
    """A raw message from header lines and a body; a header given replaces its default."""
    defaults = [
        "From: Anna Example <anna@client.example>",
        "To: support@msp.example",
        "Subject: Printer",
        "Message-ID: <m1@client.example>",
        "Date: Mon, 02 Mar 2026 10:00:00 +0000",
    ]
    given = {h.split(":", 1)[0].lower() for h in headers}
    lines = [h for h in defaults if h.split(":", 1)[0].lower() not in given] + list(headers)
    if ctype is not None:
        lines.append(f"Content-Type: {ctype}")
    raw_body = body.encode() if isinstance(body, str) else body
    return "\r\n".join(lines).encode("utf-8") + b"\r\n\r\n" + raw_body


def multipart(subtype: str, *parts: bytes, headers: tuple[str, ...] = ()) -> bytes:
    boundary = "b0undary"
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return mail(*headers, ctype=f'multipart/{subtype}; boundary="{boundary}"', body=body)


def part(ctype: str, body: bytes | str, *headers: str) -> bytes:
    raw_body = body.encode() if isinstance(body, str) else body
    head = "\r\n".join([f"Content-Type: {ctype}", *headers]).encode()
    return head + b"\r\n\r\n" + raw_body


# --- headers -----------------------------------------------------------------------------


def test_headers_are_decoded_and_message_ids_are_bare() -> None:
    parsed = parse(
        mail(
            "Cc: =?utf-8?q?J=C3=BCrgen?= <juergen@client.example>, bob@client.example",
            "Reply-To: helpdesk-replies@client.example",
            "In-Reply-To: <a1@msp.example>",
            "References: <a0@msp.example>\r\n <a1@msp.example>",
            "Auto-Submitted: no",
            "Precedence: first-class",
        )
    )
    assert parsed.message_id == "m1@client.example"
    assert not parsed.message_id_synthesised
    assert parsed.in_reply_to == "a1@msp.example"
    assert parsed.references == ("a0@msp.example", "a1@msp.example")
    assert parsed.from_address == Address("anna@client.example", "Anna Example")
    assert parsed.from_address.domain == "client.example"
    assert parsed.to == (Address("support@msp.example"),)
    assert parsed.cc == (
        Address("juergen@client.example", "Jürgen"),
        Address("bob@client.example"),
    )
    assert parsed.reply_to == (Address("helpdesk-replies@client.example"),)
    assert parsed.date == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert parsed.auto_submitted == "no"
    assert parsed.precedence == "first-class"
    assert parsed.header("PRECEDENCE") == "first-class"
    assert parsed.defects == ()


def test_rfc2047_subject_is_decoded_across_words_and_folds() -> None:
    # The UTF-8 of "ü" (C3 BC) is split between two base64 words: joined before decoding.
    parsed = parse(mail("Subject: =?utf-8?b?UHLDvGZ1bmcgbMOkdWZ0IMO=?=\r\n =?utf-8?b?vA==?= heute"))
    assert parsed.subject == "Prüfung läuft ü heute"


def test_missing_message_id_is_synthesised_stably_from_the_raw_bytes() -> None:
    raw = b"From: a@b.example\r\nSubject: no id\r\n\r\nbody\r\n"
    first, second = parse(raw), parse(raw)
    assert first.message_id_synthesised
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@" + SYNTHETIC_DOMAIN)
    assert "<" not in first.message_id
    assert parse(raw + b"more").message_id != first.message_id


def test_message_id_without_brackets_is_accepted() -> None:
    parsed = parse(b"Message-Id: 12345@host.example\r\n\r\nx")
    assert parsed.message_id == "12345@host.example"


def test_empty_return_path_is_the_null_path() -> None:
    assert parse(mail("Return-Path: <>")).return_path == ""
    assert parse(mail("Return-Path: <bounce@x.example>")).return_path == "bounce@x.example"
    assert parse(mail()).return_path is None


def test_bad_date_is_none_and_noted() -> None:
    parsed = parse(mail("Date: yesterday afternoon"))
    assert parsed.date is None
    assert "invalid Date header" in parsed.defects


def test_raw_8bit_headers_are_decoded_as_utf8_or_windows_1252() -> None:
    utf8 = parse("From: Jürgen <j@x.example>\r\nSubject: Grüße\r\n\r\nx".encode())
    assert utf8.subject == "Grüße"
    assert utf8.from_address == Address("j@x.example", "Jürgen")
    latin = parse("From: Jürgen <j@x.example>\r\nSubject: Grüße\r\n\r\nx".encode("cp1252"))
    assert latin.subject == "Grüße"
    assert latin.from_address is not None
    assert latin.from_address.name == "Jürgen"


# --- charsets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "encoding", "text"),
    [
        pytest.param("ISO-2022-JP", "iso2022_jp", "プリンターが壊れています。", id="iso-2022-jp"),
        pytest.param("GB2312", "gbk", "打印机坏了, 喆", id="gb2312-holding-gbk"),
        pytest.param("KOI8-R", "koi8_r", "Принтер сломался", id="koi8-r"),
        pytest.param("Shift_JIS", "cp932", "プリンター①", id="shift_jis-holding-cp932"),
        pytest.param("ks_c_5601-1987", "cp949", "프린터가 고장났어요", id="ks_c_5601"),
        pytest.param("iso-8859-15", "iso8859_15", "Preis: 10 €", id="iso-8859-15"),
        pytest.param("utf-8", "utf-8", "Drucker kaputt ✓", id="utf-8"),
    ],
)
def test_body_charsets_python_knows_are_decoded(charset: str, encoding: str, text: str) -> None:
    raw = mail(
        "Content-Transfer-Encoding: 8bit",
        ctype=f'text/plain; charset="{charset}"',
        body=text.encode(encoding),
    )
    parsed = parse(raw)
    assert parsed.text == text
    assert parsed.defects == ()


def test_iso_2022_jp_subject_and_base64_body() -> None:
    subject = base64.b64encode("件名のテスト".encode("iso2022_jp")).decode()
    raw = mail(
        f"Subject: =?ISO-2022-JP?B?{subject}?=",
        "Content-Transfer-Encoding: base64",
        ctype="text/plain; charset=ISO-2022-JP",
        body=base64.b64encode("本文です".encode("iso2022_jp")),
    )
    parsed = parse(raw)
    assert parsed.subject == "件名のテスト"
    assert parsed.text == "本文です"


def test_windows_1252_mislabelled_as_iso_8859_1_is_read_as_windows_1252() -> None:
    raw = mail(
        "Content-Transfer-Encoding: 8bit",
        ctype="text/plain; charset=iso-8859-1",
        body=b"\x93Quoted\x94 costs \x80 10 \x96 caf\xe9",
    )
    assert parse(raw).text == "\u201cQuoted\u201d costs \u20ac 10 \u2013 caf\u00e9"


def test_unknown_charset_falls_back_and_is_noted() -> None:
    utf8 = parse(mail(ctype="text/plain; charset=x-made-up", body="Grüße".encode()))
    assert utf8.text == "Grüße"
    assert any("unknown charset 'x-made-up'" in d for d in utf8.defects)
    cp1252 = parse(mail(ctype="text/plain; charset=x-made-up", body="Grüße".encode("cp1252")))
    assert cp1252.text == "Grüße"


@pytest.mark.parametrize("label", ["base64", "zlib", "idna", "unicode_escape", "rot13", ""])
def test_codec_names_that_are_not_charsets_fall_back(label: str) -> None:
    text, _ = decode_bytes("Grüße \\n".encode(), label)
    assert text == "Grüße \\n"


def test_utf7_lone_surrogates_are_replaced() -> None:
    parsed = parse(
        mail("Subject: =?utf-7?q?+2AA-?=", ctype="text/plain; charset=utf-7", body="a+2AA-")
    )
    assert (parsed.subject, parsed.text) == ("\ufffd", "a\ufffd")


def test_invalid_utf8_keeps_what_is_valid() -> None:
    text, defect = decode_bytes("Prüfung ok ".encode() + b"\xff", "utf-8")
    assert text == "Prüfung ok \ufffd"
    assert defect is not None


def test_undeclared_8bit_text_is_utf8_or_windows_1252() -> None:
    assert decode_bytes("naïve".encode(), None)[0] == "naïve"
    assert decode_bytes("naïve".encode("cp1252"), None)[0] == "naïve"
    assert decode_bytes(b"\x81\x8d", "iso-8859-1")[0] == "\x81\x8d"


def test_encoded_words_with_unknown_charset_or_bad_base64_do_not_break() -> None:
    assert decode_header_words("=?x-nope?q?caf=C3=A9?=") == "café"
    assert decode_header_words("=?utf-8?b?!!!?= tail") == "=?utf-8?b?!!!?= tail"
    assert decode_header_words("a =?utf-8?q?b?= =?utf-8?q?c?= d") == "a bc d"


# --- bodies ------------------------------------------------------------------------------


def test_plain_text_is_preferred_over_html() -> None:
    raw = multipart(
        "alternative",
        part("text/plain; charset=utf-8", "Plain words"),
        part("text/html; charset=utf-8", "<p>HTML words</p>"),
    )
    parsed = parse(raw)
    assert parsed.text == "Plain words"
    assert parsed.html == "<p>HTML words</p>"


def test_html_only_mail_becomes_readable_text() -> None:
    html = """<html><head><title>Ignored title</title>
    <style>p { color: red }</style><script>alert('x')</script></head>
    <body><div>Hello&nbsp;team,</div><p>The printer on <b>floor 2</b> is broken.<br>
    Error: E&amp;42</p><ul><li>tried reboot</li><li>tried new toner</li></ul>
    <table><tr><td>Model</td><td>HP 4250</td></tr></table></body></html>"""
    parsed = parse(mail(ctype="text/html; charset=utf-8", body=html))
    assert parsed.text == (
        "Hello team,\n\nThe printer on floor 2 is broken.\nError: E&42\n\n"
        "- tried reboot\n- tried new toner\n\nModel HP 4250"
    )
    assert parsed.html == html


def test_html_blockquote_becomes_quoted_lines_and_leaves_the_reply() -> None:
    html = (
        '<div dir="ltr">Works again, thanks!</div><br><div class="gmail_quote">'
        '<div class="gmail_attr">On Mon, 2 Mar 2026 at 10:00, Support &lt;support@msp.example'
        "&gt; wrote:<br></div><blockquote>Please restart the spooler.<br>Support</blockquote>"
        "</div>"
    )
    parsed = parse(mail(ctype="text/html; charset=utf-8", body=html))
    assert "> Please restart the spooler." in parsed.text
    assert parsed.new_text == "Works again, thanks!"


def test_outlook_html_reply_leaves_the_new_text() -> None:
    html = (
        "<html><head><style>p.MsoNormal {margin:0}</style></head><body>"
        "<div>Works now, thank you.</div><div id=appendonsend></div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg">'
        "<font face=Calibri><b>From:</b> Support &lt;support@msp.example&gt;<br>"
        "<b>Sent:</b> Monday, March 2, 2026 10:00 AM<br><b>To:</b> Anna Example<br>"
        "<b>Subject:</b> [#4821] Printer</font><div>&nbsp;</div></div>"
        "<div>Please restart the spooler.</div></body></html>"
    )
    parsed = parse(mail("Subject: RE: [#4821] Printer", ctype="text/html", body=html))
    assert parsed.new_text == "Works now, thank you."
    assert "Please restart the spooler." in parsed.text


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<div>open <b>bold <p>para</div></span>&bogus; <") == (
        "open bold\n\npara\n&bogus; <"
    )
    assert html_to_text("<head><p>No closing head</p>") == "No closing head"
    assert html_to_text("<pre>a\n  b</pre>") == "a\n  b"


def test_format_flowed_is_unwrapped() -> None:
    body = "This line is \r\nsoft-wrapped.\r\n> quoted \r\n> too\r\n-- \r\nAnna\r\n"
    parsed = parse(mail(ctype="text/plain; charset=utf-8; format=flowed", body=body))
    assert parsed.text == "This line is soft-wrapped.\n> quoted too\n-- \nAnna"
    assert parsed.new_text == "This line is soft-wrapped."
    assert parsed.signature == "Anna"


def test_inline_text_parts_around_an_image_are_joined() -> None:
    raw = multipart(
        "mixed",
        part("text/plain", "Before the photo"),
        part(
            "image/jpeg",
            base64.b64encode(b"\xff\xd8jpeg"),
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: inline; filename=photo.jpg",
        ),
        part("text/plain", "After the photo"),
    )
    parsed = parse(raw)
    assert parsed.text == "Before the photo\nAfter the photo"
    assert [a.filename for a in parsed.attachments] == ["photo.jpg"]
    assert parsed.attachments[0].inline


# --- attachments -------------------------------------------------------------------------


def test_attachments_and_inline_images_carry_name_type_size_and_content_id() -> None:
    pdf = b"%PDF-1.4 fake"
    png = b"\x89PNG fake"
    related = (
        b'Content-Type: multipart/related; boundary="rel"\r\n\r\n--rel\r\n'
        + part("text/html; charset=utf-8", '<p>See <img src="cid:logo@x"></p>')
        + b"\r\n--rel\r\n"
        + part(
            "image/png",
            base64.b64encode(png),
            "Content-Transfer-Encoding: base64",
            "Content-ID: <logo@x>",
        )
        + b"\r\n--rel--"
    )
    raw = multipart(
        "mixed",
        related,
        part(
            "application/pdf",
            base64.b64encode(pdf),
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename*=UTF-8''Pr%C3%BCfbericht.pdf",
        ),
        part(
            "text/plain; charset=utf-8",
            "log line",
            'Content-Disposition: attachment; filename="=?utf-8?q?L=C3=B6g.txt?="',
        ),
    )
    parsed = parse(raw)
    assert parsed.text == "See"
    found = {a.filename: a for a in parsed.attachments}
    assert set(found) == {None, "Prüfbericht.pdf", "Lög.txt"}
    image = found[None]
    assert (image.content_type, image.content_id, image.inline) == ("image/png", "logo@x", True)
    assert image.payload == png
    assert image.size == len(png)
    report = found["Prüfbericht.pdf"]
    assert (report.content_type, report.inline, report.payload) == ("application/pdf", False, pdf)
    assert found["Lög.txt"].payload == b"log line"


def test_forwarded_message_attachment_exposes_the_original_sender_and_subject() -> None:
    original = (
        b"From: Vendor Support <support@vendor.example>\r\nTo: anna@client.example\r\n"
        b"Subject: Your licence expires\r\nMessage-ID: <v1@vendor.example>\r\n\r\n"
        b"Renew now.\r\n"
    )
    raw = multipart(
        "mixed",
        part("text/plain", "FYI, can you handle this?"),
        part("message/rfc822", original, 'Content-Disposition: attachment; filename="fw.eml"'),
        headers=("Subject: Fwd: Your licence expires",),
    )
    parsed = parse(raw)
    assert parsed.forwarded_from == Address("support@vendor.example", "Vendor Support")
    assert parsed.forwarded_subject == "Your licence expires"
    assert parsed.forwarded[0].message_id == "v1@vendor.example"
    enclosed = parsed.attachments[0]
    assert enclosed.content_type == "message/rfc822"
    assert enclosed.filename == "fw.eml"
    assert parse(enclosed.payload).subject == "Your licence expires"
    assert parsed.text == "FYI, can you handle this?"


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(
            "---------- Forwarded message ---------\n"
            "From: Vendor Support <support@vendor.example>\n"
            "Date: Mon, 2 Mar 2026 at 09:00\nSubject: Your licence expires\n"
            "To: <anna@client.example>\n\nRenew now.",
            id="gmail",
        ),
        pytest.param(
            "Begin forwarded message:\n\n"
            "From: Vendor Support <support@vendor.example>\n"
            "Subject: Your licence expires\nDate: 2 March 2026 at 09:00:00 GMT\n"
            "To: anna@client.example\n\nRenew now.",
            id="apple-mail",
        ),
        pytest.param(
            "________________________________\n"
            "From: Vendor Support <support@vendor.example>\n"
            "Sent: Monday, March 2, 2026 9:00 AM\nTo: Anna Example\n"
            "Subject: Your licence expires\n\nRenew now.",
            id="outlook",
        ),
        pytest.param(
            "-----Ursprüngliche Nachricht-----\n"
            "Von: Vendor Support [mailto:support@vendor.example]\n"
            "Gesendet: Montag, 2. März 2026 09:00\nAn: Anna Example\n"
            "Betreff: Your licence expires\n\nRenew now.",
            id="outlook-german",
        ),
    ],
)
def test_inline_forward_exposes_the_original_sender_and_subject(block: str) -> None:
    raw = mail(
        "Subject: Fwd: Your licence expires",
        ctype="text/plain; charset=utf-8",
        body=f"Please renew.\n\n{block}\n",
    )
    parsed = parse(raw)
    assert parsed.forwarded_from == Address("support@vendor.example", "Vendor Support")
    assert parsed.forwarded_subject == "Your licence expires"
    # A forward's content is the point of the mail: it stays in the new text.
    assert "Renew now." in parsed.new_text


def test_forward_quoted_in_a_reply_is_history_not_a_forward() -> None:
    body = (
        "Done, thanks.\n\nOn Mon, 2 Mar 2026, Support <support@msp.example> wrote:\n"
        "> ---------- Forwarded message ---------\n> From: Vendor <v@vendor.example>\n"
        "> Subject: Licence\n"
    )
    parsed = parse(mail("Subject: Re: Licence", body=body))
    assert parsed.forwarded == ()
    assert parsed.new_text == "Done, thanks."


def test_reply_quoting_an_outlook_block_is_not_a_forward() -> None:
    body = (
        "Thanks.\n\n________________________________\nFrom: Support <support@msp.example>\n"
        "Sent: Monday, March 2, 2026 9:00 AM\nTo: Anna\nSubject: [#12] Printer\n\nDone.\n"
    )
    parsed = parse(mail("Subject: RE: [#12] Printer", body=body))
    assert parsed.forwarded == ()
    assert parsed.new_text == "Thanks."


# --- broken MIME -------------------------------------------------------------------------


def test_missing_boundary_is_read_as_text_and_noted() -> None:
    raw = mail(ctype='multipart/mixed; boundary="nope"', body="just text, no parts\n")
    parsed = parse(raw)
    assert parsed.text == "just text, no parts"
    assert parsed.defects


def test_missing_final_boundary_keeps_the_parts() -> None:
    raw = mail(
        ctype='multipart/alternative; boundary="b"',
        body=b"--b\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n",
    )
    parsed = parse(raw)
    assert parsed.text == "first part"
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


def test_bad_base64_attachment_keeps_what_decodes() -> None:
    raw = multipart(
        "mixed",
        part("text/plain", "see file"),
        part(
            "application/octet-stream",
            b"aGVsbG8=!!!garbage",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=x.bin",
        ),
    )
    parsed = parse(raw)
    assert parsed.attachments[0].payload.startswith(b"hello")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe",
        b"no header at all, just words",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
        b"Subject: =?utf-8?b?\r\n\r\n",
        b'Content-Type: text/plain; charset="\r\n\r\nbody',
        b"Content-Disposition: attachment; filename*0*=bogus'xx'%ZZ\r\n\r\nx",
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    parsed = parse(raw)
    assert isinstance(parsed.text, str)
    assert parsed.message_id
