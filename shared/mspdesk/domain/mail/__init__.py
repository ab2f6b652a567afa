"""The mail domain: raw bytes in, facts for ingestion out. Pure: no I/O, no boto3, no clock.

Parse once, then ask::

    from mspdesk.domain.mail import MailKind, classify, parse, thread_ids, ticket_token

    parsed = parse(raw)                      # never raises, whatever the bytes
    verdict = classify(parsed)               # Classification(kind, reason, ...)
    if verdict.kind is MailKind.BOUNCE and verdict.original_message_id:
        ...                                  # note on the ticket that sent that message (AP8)
    elif verdict.kind is MailKind.ORDINARY:
        number = ticket_token(parsed.subject, prefix="#")   # "[#4821]" -> 4821
        candidates = thread_ids(parsed)      # In-Reply-To, then References newest first
        ...                                  # append parsed.new_text, or open a ticket
        if verdict.auto_reply_allowed:
            ...                              # acknowledge (rate-limited per sender)

Public API
----------
`parse(raw: bytes) -> ParsedMail`
    Standard-library `email` with `email.policy.default`, one parse and one walk over the MIME
    tree. Never raises: broken MIME is read as far as it goes, anything unreadable becomes a
    string in `ParsedMail.defects`, and bytes the parser cannot read at all still come back
    as a ParsedMail whose text is the raw bytes decoded.

`ParsedMail` (frozen dataclass)
    message_id            bare id (no angle brackets); when the mail has none, a stable one from
                          the SHA-256 of the raw bytes, "<hex>@mspdesk.invalid", and
                          message_id_synthesised is True
    in_reply_to, references   bare ids; references is a tuple in header order
    subject               decoded (RFC 2047, raw 8-bit), unfolded
    from_address, to, cc, reply_to   Address(address, name) and tuples of them
    date                  timezone-aware datetime or None
    auto_submitted, precedence, list_id, auto_response_suppress   loop headers, decoded
    return_path           the Return-Path address, "" for the null path <>, None when absent
    text                  the whole readable body: text/plain parts, else HTML made text
                          (`html_to_text`); every charset Python knows, with WHATWG supersets
                          (ISO-8859-1 read as Windows-1252, GB2312 as GB18030, ...) and a
                          UTF-8 -> Windows-1252 fallback for unknown or broken ones
    html                  the HTML body as sent, when there is one
    new_text, signature   the reply without quoted history and marked signature
                          (`split_reply`), for appending to an existing ticket; a new ticket
                          should take text, which always keeps everything
    attachments           Attachment(filename, content_type, size, content_id, inline, payload)
                          for every non-body part, inline images included; an enclosed message
                          (message/rfc822) is one attachment holding the whole message. The
                          size limit is the caller's.
    forwarded             MessageSummary(from_address, subject, message_id, to, date) of each
                          forwarded message, outermost first: message/rfc822 (global, news)
                          parts, then inline "Forwarded message" blocks; forwarded_from and
                          forwarded_subject give the innermost one, for matching
    report                Report(report_type, recipients, feedback_type, disposition, original,
                          original_message_id) from multipart/report parts, or None
    defects               what the stdlib parser and we met, as short strings
    size                  len(raw)
    header(name), header_all(name)   any top-level header, decoded

`classify(parsed) -> Classification`
    Classification(kind: MailKind, reason: str, auto_reply_allowed: bool,
    original_message_id: str | None, recipients: tuple[RecipientStatus, ...],
    permanent: bool | None). MailKind is ORDINARY, AUTO_REPLY, BULK, BOUNCE, FEEDBACK_REPORT or
    READ_RECEIPT; only ORDINARY opens or updates a ticket (`MailKind.is_automatic`). The rules,
    and which headers are deliberately not used, are in `mspdesk.domain.mail.classification`.

Threading: `ticket_token(subject, prefix="#") -> int | None`, `format_token(number, prefix)`,
`thread_ids(parsed) -> list[str]`, `message_ids(value)`, `normalise_message_id(value)`,
`normalise_subject(subject)`, `is_forward_subject(subject)`.

Text helpers: `split_reply(text, forward=False) -> ReplySplit(new_text, quoted, signature)`,
`inline_forwards(text, forward=False)`, `html_to_text(html)`,
`decode_bytes(data, charset) -> (text, defect | None)`, `decode_header_words(value)`.
"""

from __future__ import annotations

from mspdesk.domain.mail.charset import decode_bytes, decode_header_words
from mspdesk.domain.mail.classification import classify
from mspdesk.domain.mail.html import html_to_text
from mspdesk.domain.mail.models import (
    Address,
    Attachment,
    Classification,
    MailKind,
    MessageSummary,
    ParsedMail,
    RecipientStatus,
    Report,
)
from mspdesk.domain.mail.parsing import SYNTHETIC_DOMAIN, parse
from mspdesk.domain.mail.reply import ReplySplit, inline_forwards, split_reply
from mspdesk.domain.mail.thread import (
    format_token,
    is_forward_subject,
    message_ids,
    normalise_message_id,
    normalise_subject,
    thread_ids,
    ticket_token,
)

__all__ = [
    "SYNTHETIC_DOMAIN",
    "Address",
    "Attachment",
    "Classification",
    "MailKind",
    "MessageSummary",
    "ParsedMail",
    "RecipientStatus",
    "ReplySplit",
    "Report",
    "classify",
    "decode_bytes",
    "decode_header_words",
    "format_token",
    "html_to_text",
    "inline_forwards",
    "is_forward_subject",
    "message_ids",
    "normalise_message_id",
    "normalise_subject",
    "parse",
    "split_reply",
    "thread_ids",
    "ticket_token",
]
