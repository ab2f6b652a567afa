"""Our webhook signature (DESIGN section 10): HMAC-SHA256 over "<timestamp>.<raw body>" with a
shared secret, and a replay window around the timestamp. Pure: the caller supplies the clock,
and remembers the signatures it accepted so that a replay inside the window is refused too.

A sender signs like this (shell):

    ts=$(date +%s)
    sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -hex | cut -d' ' -f2)
    curl -H "X-Mspdesk-Timestamp: $ts" -H "X-Mspdesk-Signature: sha256=$sig" --data "$body" ...
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

TIMESTAMP_HEADER = "X-Mspdesk-Timestamp"
SIGNATURE_HEADER = "X-Mspdesk-Signature"
SCHEME = "sha256="
REPLAY_SECONDS = 300


class BadSignature(Exception):
    """The request is not signed by someone who holds the secret, or not now."""


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The header value a sender puts in X-Mspdesk-Signature."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    sent: str | None,
    body: bytes,
    now: datetime,
    window_seconds: int = REPLAY_SECONDS,
) -> int:
    """The request's timestamp when the signature is good and the timestamp within the
    window of `now`; raises BadSignature otherwise. An empty secret accepts nothing."""
    if not secret:
        raise BadSignature("no secret is configured for this endpoint")
    if not timestamp or not sent:
        raise BadSignature(f"send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    if not timestamp.isdigit():
        raise BadSignature(f"{TIMESTAMP_HEADER} is a Unix time in seconds")
    instant = int(timestamp)
    if abs(now.timestamp() - instant) > window_seconds:
        raise BadSignature("the timestamp is outside the replay window")
    if not hmac.compare_digest(signature(secret, timestamp, body), sent.strip().lower()):
        raise BadSignature("the signature does not match")
    return instant
