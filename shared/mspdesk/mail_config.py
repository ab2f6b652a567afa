"""Settings of mail in and out: one model, read once per container from the environment.

Shared by functions/ingest_email, functions/mail_outbound, the API's mail routes, the local SMTP
server and `mspdesk replay`, which must agree on where raw mail lives.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSPDESK_", extra="ignore")

    # The bucket SES writes raw mail to (under inbound_prefix) and attachments go to.
    mail_bucket: str = "mspdesk-mail"
    inbound_prefix: str = "inbound/"
    attachment_prefix: str = "attachments/"
    # The verified SES identity mail is sent from, e.g. support@msp.example. Without it the
    # desk sends no mail (acknowledgements and agent replies are recorded as not sent).
    mail_from: str | None = None
    # Addresses that receive mail for the desk besides mail_from: mail *from* them is ours
    # coming back, never a ticket.
    mail_own_addresses: list[str] = Field(default_factory=list)
    # A reply to a resolved ticket reopens it for this long after it was resolved; later, and
    # for a closed ticket, it opens a new ticket that refers to the old one.
    reopen_days: int = Field(default=14, ge=0, le=365)
    # Larger attachments are listed on the ticket but not stored.
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    attachments_per_mail: int = Field(default=50, ge=0, le=500)
    # Automatic acknowledgements per sender address per hour.
    acks_per_sender_per_hour: int = Field(default=3, ge=0, le=1000)
    # How long the ignored-mail log keeps an entry.
    ignored_log_days: int = Field(default=90, ge=1, le=3650)
    # The ingest function's dead-letter queue: the default queue of `mspdesk replay --dlq`.
    ingest_dlq_url: str | None = None


@lru_cache(maxsize=1)
def mail_settings() -> MailSettings:
    return MailSettings()
