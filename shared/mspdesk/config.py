"""Configuration: one settings model, read once per container from the environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSPDESK_", extra="ignore")

    table_name: str = "mspdesk"
    event_bus_name: str = "mspdesk"
    region: str = Field(default="eu-west-2", validation_alias=AliasChoices("region", "AWS_REGION"))
    # The local stack's moto server; unset in AWS.
    aws_endpoint_url: str | None = None
    # Local mode turns on the dev token issuer and the /api/dev routes. Never set in AWS.
    local_mode: bool = False
    dev_token_secret: str | None = None
    # Cognito: the user pool's issuer URL and the app clients whose tokens are accepted.
    cognito_issuer: str | None = None
    cognito_client_ids: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1_048_576


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()
