"""Property: parse never raises and never loses a mail, whatever the bytes; classify neither.

Three sources of input: random bytes, real corpus messages with random damage, and generated
MIME built from the parts that break parsers (boundaries, parameters, encoded words, charsets,
transfer encodings). Beyond "no exception", the mail must come out storable: ids present, no
lone surrogates left from undecodable bytes, every part read without an internal error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mspdesk.domain.mail import ParsedMail, classify, parse
from tests.conftest import shared_data

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def assert_storable(parsed: ParsedMail) -> None:
    assert parsed.message_id
    assert "<" not in parsed.message_id
    assert not any(d.startswith(("unparseable", "unreadable")) for d in parsed.defects), (
        parsed.defects
    )
    strings = [parsed.subject, parsed.text, parsed.new_text, parsed.html or "", *parsed.defects]
    for address in (parsed.from_address, *parsed.to, *parsed.cc, *parsed.reply_to):
        if address is not None:
            strings += [address.address, address.name]
    strings += [a.filename or "" for a in parsed.attachments]
    strings += [f.subject or "" for f in parsed.forwarded]
    strings += [value for _, value in parsed.headers]
    for text in strings:
        text.encode("utf-8")  # raises on a lone surrogate
    verdict = classify(parsed)
    assert verdict.reason


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_parse(raw: bytes) -> None:
    assert_storable(parse(raw))


@pytest.fixture(scope="module")
def corpus() -> list[bytes]:
    root = shared_data("mail")
    files = sorted(p for p in root.glob("*/*.eml") if p.stat().st_size < 20_000)
    return [Path(p).read_bytes() for p in files]


NOISE = [
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b";",
    b'"',
    b"<",
    b">",
    b"--",
    b"=?",
    b"?=",
    b"=?utf-8?b?",
    b"=?iso-2022-jp?q?",
    b"\x00",
    b"\xff\xfe",
    b"\x1b$B",
    b"boundary=",
    b'charset="',
    b"multipart/mixed; boundary=x\r\n\r\n--x\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"filename*0*=utf-8''%FF",
    b"\r\n ",
]


@FUZZ
@given(
    index=st.integers(min_value=0),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "insert", "delete", "truncate"]),
            st.floats(min_value=0, max_value=1),
            st.one_of(st.sampled_from(NOISE), st.binary(min_size=1, max_size=8)),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_damaged_corpus_messages_parse(
    corpus: list[bytes], index: int, edits: list[tuple[str, float, bytes]]
) -> None:
    raw = bytearray(corpus[index % len(corpus)])
    for op, where, data in edits:
        at = int(where * len(raw))
        if op == "flip" and raw:
            raw[min(at, len(raw) - 1)] = data[0]
        elif op == "insert":
            raw[at:at] = data
        elif op == "delete":
            del raw[at : at + len(data) * 8]
        else:
            del raw[at:]
    assert_storable(parse(bytes(raw)))


header_names = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Date",
        "Return-Path",
        "Auto-Submitted",
        "Precedence",
        "Content-Disposition",
        "Content-ID",
        "Content-Transfer-Encoding",
        "X-Auto-Response-Suppress",
    ]
)
fragments = st.sampled_from(
    [
        "=?utf-8?b?w7w=?=",
        "=?koi8-r?q?=F0=D2?=",
        "=?x-bogus?q?x?=",
        "=?utf-8?q?",
        '"quoted, name"',
        "<a@b>",
        "<>",
        "a@b",
        "@",
        "(comment",
        ";",
        "filename*=utf-8''%C3%BC.txt",
        "filename*0*=bogus''x",
        'name="x.pdf"',
        "base64",
        "quoted-printable",
        "auto-replied",
        "bulk",
        "All",
        "Mon, 32 Foo 99999 99:99:99 +9999",
        "\u00fc",
        "\r\n ",
    ]
)
header_values = st.lists(st.one_of(fragments, st.text(max_size=12)), max_size=5).map(" ".join)
content_types = st.sampled_from(
    [
        "text/plain",
        "text/html",
        "text/plain; format=flowed; delsp=yes",
        "application/octet-stream",
        "image/png",
        "message/rfc822",
        "message/delivery-status",
        "message/feedback-report",
        "text/rfc822-headers",
        "application/plain",
        "text/",
        "",
    ]
)
charsets = st.sampled_from(
    ["utf-8", "iso-8859-1", "iso-2022-jp", "gb2312", "koi8-r", "utf-7", "utf-16", "x-no", '"']
)
encodings = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus"])


@st.composite
def mime_parts(draw: st.DrawFn, depth: int = 0) -> bytes:
    if depth < 3 and draw(st.booleans()):
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "signed"]))
        boundary = draw(st.sampled_from(["b", "--b", "b b", "b;", ""]))
        params = draw(st.sampled_from(["", "; report-type=delivery-status", "; start=<x>"]))
        children = draw(st.lists(mime_parts(depth + 1), max_size=4))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}'
        return head.encode() + b"\r\n\r\n" + body
    ctype = draw(content_types)
    head = [f"Content-Type: {ctype}; charset={draw(charsets)}"]
    head.append(f"Content-Transfer-Encoding: {draw(encodings)}")
    head += [
        f"{n}: {v}" for n, v in draw(st.lists(st.tuples(header_names, header_values), max_size=3))
    ]
    text = draw(st.text(max_size=200))
    body = text.encode(draw(st.sampled_from(["utf-8", "utf-16", "cp1252"])), "replace")
    if draw(st.booleans()):
        body = draw(st.binary(max_size=200))
    return "\r\n".join(head).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body


@FUZZ
@given(
    headers=st.lists(st.tuples(header_names, header_values), max_size=8),
    body=mime_parts(),
)
def test_generated_mime_parses(headers: list[tuple[str, str]], body: bytes) -> None:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    assert_storable(parse(head.encode("utf-8", "surrogateescape") + body))
