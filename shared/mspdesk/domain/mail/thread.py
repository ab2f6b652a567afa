"""Threading rules: ticket tokens in subjects, message ids, reply and forward prefixes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mspdesk.domain.mail.models import ParsedMail

_MSG_ID = re.compile(r"<([^<>]*)>")
_SPACE = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s,;]+")
# Reply and forward prefixes as mail clients write them: English, German (AW, WG), French (TR),
# Dutch (Antw, Doorst), Spanish (RE, RV), Nordic (SV, VS), with "Re[2]:" counters.
_PREFIX = re.compile(
    r"^\s*\[?\s*(re|aw|sv|antw|ref|fwd?|wg|tr|rv|doorst|vs)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*",
    re.IGNORECASE,
)
_FORWARD_PREFIXES = frozenset({"fw", "fwd", "wg", "tr", "rv", "doorst", "vs"})
_MAX_DIGITS = 12


def message_ids(value: str | None) -> list[str]:
    """The message ids in a header value, angle brackets and inner whitespace removed.

    Tolerates ids written without brackets ("Message-Id: 1234@host"), as some software does.
    """
    if not value:
        return []
    found = [_SPACE.sub("", m) for m in _MSG_ID.findall(value)]
    found = [m for m in found if m]
    if found:
        return found
    return [token for token in _SEPARATORS.split(value.strip(" \t\r\n<>,;")) if "@" in token]


def normalise_message_id(value: str | None) -> str | None:
    """One message id, bare: "<a@b>" -> "a@b"; None when the value holds none."""
    found = message_ids(value)
    return found[0] if found else None


def thread_ids(parsed: ParsedMail) -> list[str]:
    """Ids this mail answers, nearest first: In-Reply-To, then References newest to oldest.

    Look each up (AP8) and take the first hit: the direct parent is the best evidence, and a
    thread's older references may point at a ticket the conversation has since left.
    """
    ordered: list[str] = []
    candidates = [parsed.in_reply_to] if parsed.in_reply_to else []
    candidates.extend(reversed(parsed.references))
    for message_id in candidates:
        if message_id not in ordered and message_id != parsed.message_id:
            ordered.append(message_id)
    return ordered


@lru_cache(maxsize=32)
def _token_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(
        r"\[\s*" + re.escape(prefix) + r"\s*0*(\d{1," + str(_MAX_DIGITS) + r"})\s*\]",
        re.IGNORECASE,
    )


def ticket_token(subject: str | None, prefix: str = "#") -> int | None:
    """The ticket number of the first "[<prefix><number>]" token in a subject, else None.

    "Re: [#4821] Printer" -> 4821; with prefix "Ticket#", "[Ticket#4821]" -> 4821. Numbers
    outside brackets ("#4821", "order 4821") are ignored: customers write those themselves.
    """
    if not subject:
        return None
    match = _token_pattern(prefix).search(subject)
    return int(match.group(1)) if match else None


def format_token(number: int, prefix: str = "#") -> str:
    """The token `ticket_token` reads back: format_token(4821) -> "[#4821]"."""
    return f"[{prefix}{number}]"


def strip_prefixes(subject: str) -> tuple[str, list[str]]:
    """The subject without leading "Re:", "AW:", "Fwd:" ..., and those prefixes (lower case)."""
    prefixes: list[str] = []
    rest = subject
    for _ in range(20):
        match = _PREFIX.match(rest)
        if match is None:
            break
        prefixes.append(match.group(1).lower())
        rest = rest[match.end() :]
    if prefixes and subject.lstrip().startswith("[") and rest.rstrip().endswith("]"):
        rest = rest.rstrip()[:-1]
    return rest.strip(), prefixes


def normalise_subject(subject: str) -> str:
    """A subject for comparison: prefixes gone, whitespace collapsed, case folded."""
    return " ".join(strip_prefixes(subject)[0].split()).casefold()


def is_forward_subject(subject: str) -> bool:
    """The subject says the mail is a forward ("Fwd:", "FW:", "WG:", "TR:", "RV:", ...)."""
    return any(p in _FORWARD_PREFIXES for p in strip_prefixes(subject)[1])
