"""The SLA monitor's own settings, read once per container from the environment."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SlaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSPDESK_", extra="ignore")

    # The timers' state machine; without it the sweep alone keeps the clocks.
    sla_state_machine_arn: str | None = None
    # The verified SES identity notifications are sent from; without it no email is sent.
    sla_sender: str | None = None
    # The agent console's address, for links in notifications.
    desk_url: str | None = None
    webhook_timeout_seconds: float = 5.0
