"""Our webhook signature: HMAC-SHA256 over "<timestamp>.<body>", a five-minute window."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from mspdesk.domain.cti_signing import BadSignature, signature, verify

SECRET = "s3cret-of-the-desk"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BODY = b"event=newCall&from=01623555014&to=01155550100&direction=in&callId=abc"


def signed_at(at: datetime, body: bytes = BODY, secret: str = SECRET) -> tuple[str, str]:
    ts = str(int(at.timestamp()))
    return ts, signature(secret, ts, body)


def test_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1700000000, BODY) == f"sha256={expected}"


def test_a_fresh_signed_request_is_accepted() -> None:
    ts, sig = signed_at(NOW - timedelta(seconds=10))
    assert verify(SECRET, ts, sig, BODY, NOW) == int(ts)


@pytest.mark.parametrize(
    ("secret", "body", "age_seconds"),
    [
        ("another-secret", BODY, 0),  # signed by someone else
        (SECRET, BODY + b"&cause=busy", 0),  # body changed after signing
        (SECRET, BODY, 301),  # older than the replay window
        (SECRET, BODY, -301),  # from the future beyond the window
    ],
)
def test_bad_signatures_and_stale_timestamps_are_refused(
    secret: str, body: bytes, age_seconds: int
) -> None:
    ts, sig = signed_at(NOW - timedelta(seconds=age_seconds), BODY, secret)
    with pytest.raises(BadSignature):
        verify(SECRET, ts, sig, body, NOW)


def test_the_window_edge_is_still_accepted() -> None:
    ts, sig = signed_at(NOW - timedelta(seconds=300))
    assert verify(SECRET, ts, sig, BODY, NOW) == int(ts)


@pytest.mark.parametrize(
    ("ts", "sig"), [(None, "sha256=00"), ("1700000000", None), ("yesterday", "sha256=00")]
)
def test_missing_or_malformed_headers_are_refused(ts: str | None, sig: str | None) -> None:
    with pytest.raises(BadSignature):
        verify(SECRET, ts, sig, BODY, NOW)


def test_an_unconfigured_secret_accepts_nothing() -> None:
    ts, sig = signed_at(NOW, secret="")
    with pytest.raises(BadSignature):
        verify("", ts, sig, BODY, NOW)
