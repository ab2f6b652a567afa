"""The outbound-mail port and its adapters: SES SendRawEmail, and a recorder for unit tests.

SendRawEmail because the desk sets the headers that threading and loop protection need
(In-Reply-To, References, Auto-Submitted). SES replaces any Message-ID with its own
`<MessageId>@<region>.amazonses.com`, so the sender returns every id the recipient may quote
back, and the caller links each to the ticket (AP8).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol


class MailSendFailed(Exception):
    """The message was not accepted; nothing was sent."""


class MailSender(Protocol):
    def send_raw(self, source: str, recipients: Sequence[str], raw: bytes) -> list[str]:
        """Send a complete RFC 5322 message; returns the Message-IDs (bare) it may carry."""
        ...


def ses_message_ids(ses_id: str, region: str) -> list[str]:
    """The Message-ID SES gives a mail it sends: its MessageId at the region's SES domain
    (us-east-1 uses the historic email.amazonses.com)."""
    regional = "email" if region == "us-east-1" else region
    ids = [f"{ses_id}@{regional}.amazonses.com"]
    if regional != "email":
        ids.append(f"{ses_id}@email.amazonses.com")
    return ids


class SesMailSender:
    """SES SendRawEmail from a verified identity. The client is made on first use."""

    def __init__(self, client: Any | Callable[[], Any], region: str) -> None:
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self._region = region

    def _ses(self) -> Any:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def send_raw(self, source: str, recipients: Sequence[str], raw: bytes) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._ses().send_raw_email(
                Source=source, Destinations=list(recipients), RawMessage={"Data": raw}
            )
        except (ClientError, BotoCoreError) as exc:
            raise MailSendFailed(f"SES refused the mail: {exc}") from exc
        return ses_message_ids(str(response["MessageId"]), self._region)


class RecordingMailSender:
    """Keeps what it is given: for unit tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str], bytes]] = []

    def send_raw(self, source: str, recipients: Sequence[str], raw: bytes) -> list[str]:
        self.sent.append((source, list(recipients), raw))
        return [f"recorded-{len(self.sent)}@mail.invalid"]
