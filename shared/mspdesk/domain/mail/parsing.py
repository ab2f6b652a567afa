"""Raw bytes to `ParsedMail` with the standard library parser and the modern policy.

One parse, one walk: the MIME tree is walked once, enclosed messages are summarised from their
headers without walking into them, and only the parts that make the body are decoded. `parse`
never raises: broken MIME is read as far as the stdlib parser gets, and what it or we met is in
`defects`.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32
from email.utils import (
    collapse_rfc2231_value,
    decode_params,
    getaddresses,
    parsedate_to_datetime,
    unquote,
)

from mspdesk.domain.mail.charset import decode_bytes, decode_header_words, fix_8bit, unfold
from mspdesk.domain.mail.html import html_to_text
from mspdesk.domain.mail.models import (
    Address,
    Attachment,
    MessageSummary,
    ParsedMail,
    RecipientStatus,
    Report,
)
from mspdesk.domain.mail.reply import inline_forwards, split_reply
from mspdesk.domain.mail.thread import is_forward_subject, message_ids

SYNTHETIC_DOMAIN = "mspdesk.invalid"
_MAX_DEPTH = 40
_MAX_DEFECTS = 100


class _Verbatim(Compat32):
    """Writes headers back exactly as they came (the parser keeps them raw): no refolding."""

    def fold_binary(self, name: str, value: str) -> bytes:
        return f"{name}: {value}{self.linesep}".encode("utf-8", "surrogateescape")


_VERBATIM = _Verbatim()
_REFOLD = email.policy.default.clone(linesep="\n")
_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)
_FORWARD_TYPES = frozenset({"message/rfc822", "message/global", "message/news"})
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MDN_TYPES = frozenset(
    {"message/disposition-notification", "message/global-disposition-notification"}
)
_HEADERS_TYPES = frozenset(
    {
        "text/rfc822-headers",
        "message/rfc822-headers",
        "text/rfc822-header",
        "message/global-headers",
    }
)
_FIELD_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$")
_NULL_PATH = re.compile(r"^<\s*>$")


def _first_headers(items: list[tuple[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for name, value in items:
        first.setdefault(name.lower(), value)
    return first


def _addresses(value: str | None) -> tuple[Address, ...]:
    if not value:
        return ()
    try:
        pairs = getaddresses([unfold(value)])
    except Exception:  # malformed address lists must not lose the mail
        return ()
    found: list[Address] = []
    for name, address in pairs:
        address = fix_8bit(address).strip()
        if address:
            found.append(Address(address=address, name=decode_header_words(name).strip()))
    return tuple(found)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(unfold(value))
    except Exception:  # any malformed date is just no date
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _summary(items: list[tuple[str, str]]) -> MessageSummary:
    first = _first_headers(items)
    sender = _addresses(first.get("from"))
    subject = first.get("subject")
    return MessageSummary(
        from_address=sender[0] if sender else None,
        subject=decode_header_words(subject) if subject is not None else None,
        message_id=next(iter(message_ids(first.get("message-id"))), None),
        to=_addresses(first.get("to")),
        date=_date(first.get("date")),
    )


def _fields(text: str) -> list[dict[str, str]]:
    """Blank-line separated blocks of "Name: value" fields (DSN, ARF, MDN), names lower-cased."""
    blocks: list[dict[str, str]] = []
    block: dict[str, str] = {}
    last: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if block:
                blocks.append(block)
            block, last = {}, None
            continue
        if line[0] in " \t" and last is not None:
            block[last] = f"{block[last]} {line.strip()}"
            continue
        match = _FIELD_LINE.match(line)
        if match:
            last = match.group(1).lower()
            block.setdefault(last, match.group(2).strip())
    if block:
        blocks.append(block)
    return blocks


def _typed_value(value: str | None) -> str | None:
    """'rfc822; a@b' -> 'a@b'; 'smtp; 550 ...' -> '550 ...' (RFC 3464 typed fields)."""
    if value is None:
        return None
    kind, sep, rest = value.partition(";")
    text = rest if sep and " " not in kind.strip() else value
    return fix_8bit(text.strip().strip("<>")) or None


def _flatten(part: Message, policy: email.policy.Policy) -> bytes:
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(part)
    return buffer.getvalue()


def _message_body(part: Message) -> tuple[bytes, bool]:
    """The body of a message/* part (the enclosed message, report fields) and whether it is whole.

    Headers are written back verbatim; if the tree is too broken for that, the stdlib's own
    folding gets a second try, and failing that the body is empty.
    """
    for policy in (_VERBATIM, _REFOLD):
        try:
            flat = _flatten(part, policy)
        except Exception:  # noqa: S112 - the generator trips on broken trees; try the next way
            continue
        for separator in (b"\n\n", b"\r\n\r\n"):
            _, found, body = flat.partition(separator)
            if found:
                return body, True
        return b"", True
    return b"", False


def _unflow(text: str, *, delsp: bool) -> str:
    """Undo format=flowed (RFC 3676): join soft line breaks, unstuff, keep quote depth."""
    out: list[str] = []
    buffer: str | None = None
    depth = 0

    def emit() -> None:
        if buffer is not None:
            out.append((">" * depth + " " if depth else "") + buffer)

    for line in text.split("\n"):
        level = len(line) - len(line.lstrip(">"))
        content = line[level:]
        if content.startswith(" "):
            content = content[1:]
        if buffer is not None and level == depth:
            buffer += content
        else:
            emit()
            buffer, depth = content, level
        if content.endswith(" ") and content != "-- ":
            if delsp:
                buffer = buffer[:-1]
            continue
        emit()
        buffer = None
    emit()
    return "\n".join(out)


_PARAM = re.compile(r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+$")


def _params(value: str) -> tuple[str, dict[str, str]]:
    """A Content-Type or Content-Disposition value: the lower-cased main value and parameters.

    RFC 2231 parameters (continuations, charset'language'value) are decoded. Read from the raw
    header, because the modern policy builds and parses a header object on every access.
    """
    main, _, rest = unfold(value).partition(";")
    pairs = [(name.lower(), raw.strip()) for name, raw in _PARAM.findall(";" + rest)]
    params: dict[str, str] = {}
    try:
        for name, decoded in decode_params([("", main), *pairs])[1:]:
            if isinstance(decoded, tuple):  # RFC 2231 (charset, language, "value")
                decoded = (decoded[0], decoded[1], unquote(decoded[2]))
            params.setdefault(name.rstrip("*"), collapse_rfc2231_value(decoded).strip())
    except Exception:  # broken RFC 2231 data: keep the parameters as written
        params = {name.rstrip("*"): raw.strip('"') for name, raw in pairs}
    return main.split("(", 1)[0].strip().lower(), params


@dataclass(frozen=True, slots=True)
class _PartInfo:
    ctype: str
    params: dict[str, str]
    disposition: str | None
    filename: str | None
    content_id: str | None

    @classmethod
    def of(cls, part: Message) -> _PartInfo:
        raw: dict[str, str] = {}
        for name, value in part.raw_items():
            key = name.lower()
            if key in ("content-type", "content-disposition", "content-id"):
                raw.setdefault(key, value)
        ctype, params = _params(raw["content-type"]) if "content-type" in raw else ("", {})
        if not _TOKEN.match(ctype):
            # As the stdlib reads it: missing means the default, malformed means text/plain.
            ctype = part.get_default_type() if "content-type" not in raw else "text/plain"
        disposition, disp_params = _params(raw.get("content-disposition", ""))
        filename = disp_params.get("filename") or params.get("name")
        content_id = raw.get("content-id")
        return cls(
            ctype=ctype,
            params=params,
            disposition=disposition or None,
            filename=decode_header_words(filename).strip() or None if filename else None,
            content_id=(next(iter(message_ids(content_id)), None) or unfold(content_id) or None)
            if content_id is not None
            else None,
        )


class _Walk:
    """One pass over the MIME tree, collecting body, attachments, enclosed messages, report."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: str | None = None
        self.attachments: list[Attachment] = []
        self.enclosed: list[tuple[MessageSummary, bool]] = []
        self.defects: list[str] = []
        self.report_type: str | None = None
        self.recipients: list[RecipientStatus] = []
        self.feedback_type: str | None = None
        self.disposition: str | None = None
        self.mdn_original_id: str | None = None
        self.header_summary: MessageSummary | None = None
        self.report_parts: set[str] = set()
        self.stray_text: list[str] = []

    def defect(self, text: str) -> None:
        if text not in self.defects and len(self.defects) < _MAX_DEFECTS:
            self.defects.append(text)

    def walk(self, part: Message, *, body: bool, in_report: bool, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            self.defect(f"MIME nesting deeper than {_MAX_DEPTH}: rest not read")
            return
        for found in getattr(part, "defects", ()):
            self.defect(type(found).__name__)
        try:
            info = _PartInfo.of(part)
        except Exception as exc:  # unreadable MIME headers: keep the bytes
            self.defect(f"unreadable MIME headers: {type(exc).__name__}")
            info = _PartInfo("application/octet-stream", {}, "attachment", None, None)
        maintype = info.ctype.partition("/")[0]
        try:
            if part.is_multipart() and maintype != "message":
                self._multipart(part, info, body=body, in_report=in_report, depth=depth)
            elif maintype == "multipart":
                # No boundary found: the parser kept the body as text, and so do we.
                self.defect("multipart without parts: read as text")
                self._leaf(part, _PartInfo("text/plain", info.params, None, None, None), body)
            elif maintype == "message":
                self._message(part, info, in_report=in_report)
            else:
                self._leaf(part, info, body)
        except Exception as exc:  # one broken part must not lose the others
            self.defect(f"unreadable {info.ctype} part: {type(exc).__name__}")

    def _multipart(
        self, part: Message, info: _PartInfo, *, body: bool, in_report: bool, depth: int
    ) -> None:
        payload = part.get_payload()
        children = (
            [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []
        )
        if not children:
            return
        subtype = info.ctype.partition("/")[2]
        chosen: Message | None = None
        if subtype == "alternative":
            chosen = self._best_alternative(children)
        elif subtype == "related":
            chosen = self._related_root(info, children)
        elif subtype in ("signed", "encrypted"):
            chosen = children[0]
        elif subtype == "report":
            self.report_type = info.params.get("report-type", "").lower() or None
            in_report = True
            chosen = children[0]
        for child in children:
            child_body = body and (chosen is None or child is chosen)
            self.walk(child, body=child_body, in_report=in_report, depth=depth + 1)

    @staticmethod
    def _leading_type(part: Message) -> str:
        """The type a part starts with: multipart/related [text/html, ...] -> text/html."""
        for _ in range(_MAX_DEPTH):
            ctype = _PartInfo.of(part).ctype
            payload = part.get_payload() if ctype.startswith("multipart/") else None
            if not (isinstance(payload, list) and payload and isinstance(payload[0], Message)):
                return ctype
            part = payload[0]
        return "multipart/mixed"

    def _best_alternative(self, children: list[Message]) -> Message:
        # Plain text is the readable body; otherwise the last (richest) alternative, per RFC 2046.
        for child in children:
            if self._leading_type(child) == "text/plain":
                return child
        return children[-1]

    @staticmethod
    def _related_root(info: _PartInfo, children: list[Message]) -> Message:
        start = info.params.get("start", "").strip().strip("<>")
        if start:
            for child in children:
                if _PartInfo.of(child).content_id == start:
                    return child
        return children[0]

    def _message(self, part: Message, info: _PartInfo, *, in_report: bool) -> None:
        ctype = info.ctype
        data, whole = _message_body(part)
        if not whole:
            self.defect(f"{ctype} part could not be written out: attachment left empty")
        if ctype in _DSN_TYPES or ctype == "message/feedback-report" or ctype in _MDN_TYPES:
            blocks = _fields(decode_bytes(data, "utf-8")[0])
            first = blocks[0] if blocks else {}
            if ctype in _DSN_TYPES:
                self.report_parts.add("delivery-status")
                self._delivery_status(blocks)
            elif ctype == "message/feedback-report":
                self.report_parts.add("feedback-report")
                self.feedback_type = self.feedback_type or first.get("feedback-type")
            else:
                self.report_parts.add("disposition-notification")
                self.disposition = self.disposition or first.get("disposition")
                original = message_ids(first.get("original-message-id"))
                self.mdn_original_id = self.mdn_original_id or next(iter(original), None)
        else:
            payload = part.get_payload()
            enclosed = payload[0] if isinstance(payload, list) and payload else None
            if ctype in _FORWARD_TYPES and isinstance(enclosed, Message):
                items = list(enclosed.raw_items())
                self.enclosed.append((_summary(items), in_report))
                if any(name.lower() == "x-hmxmroriginalrecipient" for name, _ in items):
                    # Hotmail's complaint format before ARF (JMRP): the reported mail, enclosed.
                    self.report_parts.add("feedback-report")
                    self.feedback_type = self.feedback_type or "abuse"
        self._attach(info, data)

    def _delivery_status(self, blocks: list[dict[str, str]]) -> None:
        for block in blocks:
            if not any(k in block for k in ("final-recipient", "original-recipient", "action")):
                continue
            recipient = block.get("final-recipient") or block.get("original-recipient")
            self.recipients.append(
                RecipientStatus(
                    recipient=_typed_value(recipient),
                    action=(block.get("action") or "").lower() or None,
                    status=block.get("status") or None,
                    diagnostic=_typed_value(block.get("diagnostic-code")),
                )
            )

    def _leaf(self, part: Message, info: _PartInfo, body: bool) -> None:
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        ctype = info.ctype
        if ctype in _HEADERS_TYPES:
            headers = _HEADER_PARSER.parsebytes(data)
            self.header_summary = self.header_summary or _summary(list(headers.raw_items()))
            self._attach(info, data)
            return
        readable = info.disposition != "attachment" and info.filename is None
        if ctype in ("text/plain", "text/html") and readable:
            if body:
                self._text(info, data)
            elif ctype == "text/html" and self.html is None:
                self.html = self._decode(info, data)
            return
        if body and info.disposition != "attachment" and "charset" in info.params:
            # Not text/* but labelled with a charset (S/MIME "application/plain"): readable
            # if nothing better turns up.
            self.stray_text.append(self._decode(info, data))
        self._attach(info, data)

    def _decode(self, info: _PartInfo, data: bytes) -> str:
        text, note = decode_bytes(data, info.params.get("charset"))
        if note:
            self.defect(note)
        return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")

    def _text(self, info: _PartInfo, data: bytes) -> None:
        text = self._decode(info, data)
        if info.ctype == "text/html":
            if self.html is None:
                self.html = text
            self.plain.append(html_to_text(text))
            return
        if info.params.get("format", "").lower() == "flowed":
            text = _unflow(text, delsp=info.params.get("delsp", "").lower() == "yes")
        self.plain.append(text)

    def _attach(self, info: _PartInfo, data: bytes) -> None:
        inline = info.disposition == "inline" or (
            info.disposition is None and info.content_id is not None
        )
        self.attachments.append(
            Attachment(
                filename=info.filename,
                content_type=info.ctype,
                size=len(data),
                content_id=info.content_id,
                inline=inline,
                payload=data,
            )
        )

    def report(self) -> tuple[Report | None, list[MessageSummary]]:
        """The report, if any part made one, and the enclosed messages that are forwards."""
        forwards = [summary for summary, in_report in self.enclosed if not in_report]
        reported = [summary for summary, in_report in self.enclosed if in_report]
        report_type = self.report_type
        if report_type is None and self.report_parts:
            for kind in ("feedback-report", "delivery-status", "disposition-notification"):
                if kind in self.report_parts:
                    report_type = kind
                    break
        if report_type is None:
            return None, forwards
        original = reported[0] if reported else self.header_summary
        if original is None and self.report_parts and forwards:
            # A report built as multipart/mixed: the enclosed message is the reported one.
            original, forwards = forwards[0], forwards[1:]
        original_id = self.mdn_original_id or (original.message_id if original else None)
        report = Report(
            report_type=report_type,
            recipients=tuple(self.recipients),
            feedback_type=self.feedback_type,
            disposition=self.disposition,
            original=original,
            original_message_id=original_id,
        )
        return report, forwards


def _return_path(value: str | None) -> str | None:
    if value is None:
        return None
    value = unfold(value)
    if not value or _NULL_PATH.match(value):
        return ""
    ids = message_ids(value)
    return fix_8bit(ids[0] if ids else value.strip("<> "))


def _synthetic_id(raw: bytes) -> str:
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@{SYNTHETIC_DOMAIN}"


def _parse(raw: bytes) -> ParsedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    items = [(name, fix_8bit(value)) for name, value in message.raw_items()]
    first = _first_headers(items)

    walk = _Walk()
    walk.walk(message, body=True, in_report=False)
    text = "\n".join(piece.strip("\n") for piece in walk.plain if piece.strip()).rstrip()
    if not text and walk.stray_text:
        text = "\n".join(walk.stray_text).strip()
    report, enclosed = walk.report()

    message_id = next(iter(message_ids(first.get("message-id"))), None)
    synthesised = message_id is None
    if message_id is None:
        message_id = _synthetic_id(raw)
        walk.defect("no Message-ID: synthesised from the raw bytes")

    subject = decode_header_words(first.get("subject", ""))
    forward = is_forward_subject(subject)
    split = split_reply(text, forward=forward)
    forwarded = tuple(enclosed) + tuple(inline_forwards(text, forward=forward))

    sender = _addresses(first.get("from"))
    date = _date(first.get("date"))
    if date is None and "date" in first:
        walk.defect("invalid Date header")

    def loop_header(name: str) -> str | None:
        value = first.get(name)
        return decode_header_words(value) if value is not None else None

    return ParsedMail(
        message_id=message_id,
        message_id_synthesised=synthesised,
        in_reply_to=next(iter(message_ids(first.get("in-reply-to"))), None),
        references=tuple(message_ids(first.get("references"))),
        subject=subject,
        from_address=sender[0] if sender else None,
        to=_addresses(first.get("to")),
        cc=_addresses(first.get("cc")),
        reply_to=_addresses(first.get("reply-to")),
        date=date,
        auto_submitted=loop_header("auto-submitted"),
        precedence=loop_header("precedence"),
        list_id=loop_header("list-id"),
        auto_response_suppress=loop_header("x-auto-response-suppress"),
        return_path=_return_path(first.get("return-path")),
        text=text,
        html=walk.html,
        new_text=split.new_text,
        signature=split.signature,
        attachments=tuple(walk.attachments),
        forwarded=forwarded,
        report=report,
        defects=tuple(walk.defects),
        size=len(raw),
        headers=tuple(items),
    )


def _unparseable(raw: bytes, exc: BaseException) -> ParsedMail:
    text = decode_bytes(raw, None)[0]
    return ParsedMail(
        message_id=_synthetic_id(raw),
        message_id_synthesised=True,
        in_reply_to=None,
        references=(),
        subject="",
        from_address=None,
        to=(),
        cc=(),
        reply_to=(),
        date=None,
        auto_submitted=None,
        precedence=None,
        list_id=None,
        auto_response_suppress=None,
        return_path=None,
        text=text,
        html=None,
        new_text=text,
        signature=None,
        attachments=(),
        forwarded=(),
        report=None,
        defects=(f"unparseable message: {type(exc).__name__}",),
        size=len(raw),
        headers=(),
    )


def parse(raw: bytes) -> ParsedMail:
    """Parse one raw RFC 5322 message. Never raises; see ParsedMail and the package docstring."""
    try:
        return _parse(raw)
    except Exception as exc:  # the last line of defence: never lose a mail
        return _unparseable(raw, exc)
