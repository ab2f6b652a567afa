"""Configuration of the phone features: one settings model, read once per container."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CtiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSPDESK_CTI_", extra="ignore")

    # AWS: the Secrets Manager secret holding the webhook secrets (JSON). Unset locally, where
    # the secrets are made on first use and kept in the table (GET /api/dev/settings shows them).
    secret_arn: str | None = None
    # AWS: the WebSocket API's callback URL (https://{api}.execute-api.{region}.amazonaws.com/
    # {stage}) for postToConnection. Unset locally: the local server holds the sockets.
    websocket_endpoint: str | None = None
    # Microsoft Graph: where tokens and call records come from (a local fake in tests).
    graph_login_url: str = "https://login.microsoftonline.com"
    graph_api_url: str = "https://graph.microsoft.com/v1.0"
    graph_timeout_seconds: float = 5.0
    # Our signature's replay window.
    replay_seconds: int = Field(default=300, ge=30, le=3600)
    # Lateral analysis: the window and how many distinct clients make a keyword hot.
    lateral_window_minutes: int = Field(default=20, ge=1, le=24 * 60)
    lateral_min_clients: int = Field(default=3, ge=2, le=100)
    # How long a screen-pop connection is remembered (API Gateway closes them after 2 hours).
    connection_hours: int = Field(default=2, ge=1, le=24)
    # How long the webhook secrets are trusted before they are read again (rotation).
    secrets_cache_seconds: int = Field(default=300, ge=0, le=3600)


@lru_cache(maxsize=1)
def cti_settings() -> CtiSettings:
    return CtiSettings()
