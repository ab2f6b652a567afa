"""Phone numbers to E.164 with the maintained `phonenumbers` library (pure, no I/O)."""

from __future__ import annotations

import phonenumbers

from mspdesk.domain.errors import InvalidInput


def to_e164(raw: str, default_region: str, field: str = "phone") -> str:
    """Normalise a number as people type it ("01623 123456", "0044 1623...", "+1 (212) ...")."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        parsed = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(field, f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidInput(field, f"{raw!r} is not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
