"""The new part of a reply, apart from quoted history and signature; inline forwarded headers.

Conservative on purpose: a line is only history when a mail client's quoting convention says so,
and only a marked signature is cut. What is cut is never lost: `ParsedMail.text` keeps it all.

History starts at the first of:
- an attribution line "On <date>, <person> wrote:" in English, German ("Am ... schrieb ...:"),
  French ("Le ... a écrit :"), Dutch ("Op ... schreef ...:") or Spanish ("El ... escribió:"),
  possibly wrapped over three lines, and holding a digit or an "@" (a date or an address), so
  "On Monday the printer wrote: error 42" is not taken for one;
- an Outlook separator ("-----Original Message-----" and its translations, or a line of
  underscores) or an Outlook header block: a From:/Von:/De:/Van: line followed within six lines
  by a Sent:/Date:-like line and a To:- or Subject:-like line.
Lines starting with ">" are quoted wherever they are, and so is a "<someone> wrote:" line right
before them; when unquoted text follows the quote an attribution introduces (bottom-posting,
answers between quoted lines), only the quoted lines go.

Signature: only the "-- " delimiter (RFC 3676 4.3; also "--" as HTML conversion leaves it) with
at most 15 lines after it, and a last line like "Sent from my iPhone" in the five languages.
Sign-offs ("Best regards, Anna") stay: they carry names and phone numbers agents need, and no
rule tells them apart from the message itself.

A forward is not a reply: with `forward=True` (the subject says "Fwd:", "WG:", ...), or when the
text holds a "Forwarded message" marker, an Outlook block starts forwarded content, which is the
point of the mail, so it stays in `new_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

from mspdesk.domain.mail.models import Address, MessageSummary

_ATTRIBUTION_START = re.compile(r"^\s*(on|am|le|op|el)\s", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"""^\s*(?:
        on\s.{1,300}?\bwrote
      | am\s.{1,300}?\bschrieb\b.{0,300}?
      | le\s.{1,300}?\ba\s+écrit
      | op\s.{1,300}?\bschreef\b.{0,300}?
      | el\s.{1,300}?\bescribió
    )\s*:\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WROTE = re.compile(
    r"^.{1,200}\b(?:wrote|writes|schrieb|a\s+écrit|schreef|escribió)\s*:\s*$", re.IGNORECASE
)
_SEPARATOR = re.compile(
    r"""^\s*-{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|originalnachricht
        |message\s+d'origine|oorspronkelijk\s+bericht|mensaje\s+original)\s*-{2,}\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_FORWARD_MARKER = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré
            |doorgestuurd\s+bericht|mensaje\s+reenviado)\s*-{2,}
      | (?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht
            |début\s+du\s+message\s+réexpédié|begin\s+doorgestuurd\s+bericht
            |inicio\s+del\s+mensaje\s+reenviado)\s*:
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_FIELD = re.compile(r"^\s*\*?([^\W\d_][\w -]{0,20}?)\s*\*?\s*:\s*\*?\s*(.*)$")
_FROM_KEYS = frozenset({"from", "von", "de", "van", "da", "från", "fra"})
_SENT_KEYS = frozenset(
    {"sent", "date", "gesendet", "datum", "envoyé", "verzonden", "enviado", "fecha", "inviato"}
)
_TO_KEYS = frozenset({"to", "an", "à", "a", "aan", "para", "cc"})
_SUBJECT_KEYS = frozenset({"subject", "betreff", "objet", "onderwerp", "asunto", "oggetto"})
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.IGNORECASE)
_MOBILE_SIGNATURE = re.compile(
    r"""^\s*(?:
        sent\s+from\s+(?:my\s+)?.{1,40}
      | get\s+outlook\s+for\s+.{1,20}
      | von\s+meinem\s+.{1,40}\s+gesendet
      | gesendet\s+von\s+(?:meinem\s+)?.{1,40}
      | envoyé\s+(?:de|depuis)\s+(?:mon\s+)?.{1,40}
      | verzonden\s+(?:met|vanaf|van)\s+(?:mijn\s+)?.{1,40}
      | enviado\s+desde\s+(?:mi\s+)?.{1,40}
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_MAX_SIGNATURE_LINES = 15


@dataclass(frozen=True, slots=True)
class ReplySplit:
    """`new_text`: what the sender wrote this time; `quoted`: the history cut from it."""

    new_text: str
    quoted: str
    signature: str | None


def _field(line: str) -> tuple[str, str] | None:
    match = _FIELD.match(line)
    if match is None:
        return None
    return match.group(1).strip().lower(), match.group(2).strip()


def _attribution_at(lines: list[str], i: int) -> bool:
    if not _ATTRIBUTION_START.match(lines[i]):
        return False
    joined = lines[i]
    for extra in range(3):
        if extra:
            if i + extra >= len(lines) or not lines[i + extra].strip():
                return False
            joined = f"{joined} {lines[i + extra].strip()}"
        if joined.rstrip().endswith(":"):
            return bool(_ATTRIBUTION.match(joined)) and any(c.isdigit() or c == "@" for c in joined)
    return False


def _header_block_at(lines: list[str], i: int) -> bool:
    first = _field(lines[i])
    if first is None or first[0] not in _FROM_KEYS or not first[1]:
        return False
    sent = other = False
    for line in lines[i + 1 : i + 7]:
        found = _field(line)
        if found is None:
            continue
        sent = sent or found[0] in _SENT_KEYS
        other = other or found[0] in _TO_KEYS or found[0] in _SUBJECT_KEYS
    return sent and other


def _next_nonblank(lines: list[str], i: int) -> int | None:
    for j in range(i, min(len(lines), i + 4)):
        if lines[j].strip():
            return j
    return None


def _history_start(lines: list[str], *, forward: bool) -> tuple[int, bool] | None:
    """Where quoted history begins, and whether that line is an attribution ("... wrote:")."""
    for i, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith(">"):
            continue
        if _attribution_at(lines, i):
            return i, True
        if forward:
            continue
        if _SEPARATOR.match(line) or _header_block_at(lines, i):
            return i, False
        if _UNDERSCORES.match(line):
            j = _next_nonblank(lines, i + 1)
            if j is not None and _header_block_at(lines, j):
                return i, False
    return None


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _answered_inline(lines: list[str]) -> bool:
    """Unquoted text after a quoted line: the sender answered below or between the quotes."""
    quoted = False
    for line in lines:
        if _is_quote(line):
            quoted = True
        elif quoted and line.strip():
            return True
    return False


def _drop_quotes(lines: list[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    dropped: list[str] = []
    gap = False
    for line in lines:
        if _is_quote(line):
            # "<someone> wrote:" (and blank lines) right before a quote belong to it.
            while kept and not kept[-1].strip():
                kept.pop()
            if kept and _WROTE.match(kept[-1]):
                dropped.append(kept.pop())
            dropped.append(line)
            gap = True
            continue
        if line.strip():
            if gap and kept and kept[-1].strip():
                kept.append("")  # where a quote was, the paragraphs stay apart
            gap = False
        kept.append(line)
    return kept, dropped


def _cut_signature(lines: list[str]) -> tuple[list[str], str | None]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    for i in range(len(lines) - 1, max(-1, len(lines) - _MAX_SIGNATURE_LINES - 2), -1):
        if lines[i].rstrip() == "--":
            signature = "\n".join(lines[i + 1 :]).strip()
            return lines[:i], signature or None
    if lines and _MOBILE_SIGNATURE.match(lines[-1]):
        return lines[:-1], lines[-1].strip()
    return lines, None


def split_reply(text: str, *, forward: bool = False) -> ReplySplit:
    """Separate the new text of a reply from quoted history and signature (see module doc).

    When nothing unquoted is left (a reply that is all quote), `new_text` is the whole text:
    losing words is worse than repeating some.
    """
    lines = text.split("\n")
    # A forward marker in the text makes it a forward whatever the subject says.
    forward = forward or any(_FORWARD_MARKER.match(line) for line in lines)
    found = _history_start(lines, forward=forward)
    quoted: list[str] = []
    if found is not None:
        start, attribution = found
        top_posted = any(line.strip() and not _is_quote(line) for line in lines[:start])
        if attribution and (not top_posted or _answered_inline(lines[start + 1 :])):
            # Bottom-posting or answers between the quoted lines: only the quotes go.
            quoted = [lines[start]]
            lines = lines[:start] + lines[start + 1 :]
        elif top_posted:
            quoted = lines[start:]
            lines = lines[:start]
    lines, dropped = _drop_quotes(lines)
    lines, signature = _cut_signature(lines)
    new_text = "\n".join(lines).strip()
    history = "\n".join(dropped + quoted).strip()
    if not new_text:
        return ReplySplit(new_text=text.strip(), quoted=history, signature=signature)
    return ReplySplit(new_text=new_text, quoted=history, signature=signature)


def _address(value: str) -> Address | None:
    value = _MAILTO.sub(r"<\1>", value).replace("*", "")
    try:
        pairs = getaddresses([value])
    except Exception:
        return None
    for name, address in pairs:
        if "@" in address:
            return Address(address=address, name=name.strip())
    return None


def _summary_after(lines: list[str], i: int) -> MessageSummary | None:
    from_address: Address | None = None
    subject: str | None = None
    seen = False
    for line in lines[i + 1 : i + 16]:
        if not line.strip():
            if seen:
                break
            continue
        found = _field(line)
        if found is None:
            if seen:
                break
            continue
        seen = True
        key, value = found
        if key in _FROM_KEYS and from_address is None:
            from_address = _address(value)
        elif key in _SUBJECT_KEYS and subject is None:
            subject = value or None
    if from_address is None and subject is None:
        return None
    return MessageSummary(from_address=from_address, subject=subject)


def inline_forwards(text: str, *, forward: bool = False) -> list[MessageSummary]:
    """Headers of messages forwarded inline, outermost first.

    Markers: "---------- Forwarded message ---------", "Begin forwarded message:" and their
    translations; with `forward=True` (a forward subject) also Outlook's "-----Original
    Message-----" or underscore separator and header block, which Outlook uses for forwards too.
    """
    if not text:
        return []
    lines = text.split("\n")
    found: list[MessageSummary] = []
    for i, line in enumerate(lines):
        if not line.strip() or _is_quote(line):
            continue  # quoted history is not what this mail forwards
        if _FORWARD_MARKER.match(line) or (
            forward and (_SEPARATOR.match(line) or _UNDERSCORES.match(line))
        ):
            summary = _summary_after(lines, i)
        elif forward and _header_block_at(lines, i):
            summary = _summary_after(lines, i - 1)
        else:
            continue
        if summary is not None and summary not in found[-1:]:
            found.append(summary)
    return found
