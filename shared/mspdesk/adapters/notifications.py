"""Notification ports and adapters: email through SES, posts to a team's Microsoft Teams or
Slack incoming webhook over HTTPS. Both raise NotificationFailed, so the caller can give its
claim back and let a retry send again."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit


class NotificationFailed(Exception):
    """The message was not accepted; nothing was delivered."""


class EmailSender(Protocol):
    def send(self, to: Sequence[str], subject: str, body: str) -> str:
        """Send a plain-text email; returns the provider's message id."""
        ...


class ChatPoster(Protocol):
    def post(self, url: str, text: str) -> None:
        """Post `text` to an incoming-webhook URL."""
        ...


class SesEmailSender:
    """SES SendEmail from a verified sender identity. The client is made on first use."""

    def __init__(self, client: Any | Callable[[], Any], sender: str) -> None:
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self.sender = sender

    def _ses(self) -> Any:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def send(self, to: Sequence[str], subject: str, body: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._ses().send_email(
                Source=self.sender,
                Destination={"ToAddresses": list(to)},
                Message={
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise NotificationFailed(f"SES refused the email: {exc}") from exc
        return str(response["MessageId"])


class WebhookPoster:
    """POST {"text": ...} as JSON: the body both Slack and Teams incoming webhooks accept."""

    def __init__(self, timeout_seconds: float = 5.0) -> None:
        self._timeout = timeout_seconds

    def post(self, url: str, text: str) -> None:
        if urlsplit(url).scheme not in ("https", "http"):
            raise NotificationFailed("a webhook URL is http(s)")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                status = response.status
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise NotificationFailed(f"webhook post failed: {exc}") from exc
        if not 200 <= status < 300:
            raise NotificationFailed(f"webhook answered {status}")
