"""Settings of AI triage: one model, read once per container from the environment.

Shared by functions/triage, the API (ticket detail, stats), `mspdesk triage reindex` and the
local stack. The per-MSP choices (mode, threshold, history needed) are admin settings
(MspSettings.triage); these are the deployment's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TriageConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSPDESK_", extra="ignore")

    # "local": the text model fitted on the MSP's own history (no download, no network);
    # "bedrock": Amazon Titan Text Embeddings v2.
    triage_embedder: Literal["local", "bedrock"] = "local"
    # "embedded": numpy in the function, its snapshot in triage_bucket; "opensearch": k-NN.
    triage_vector_index: Literal["embedded", "opensearch"] = "embedded"
    # The embedded index's snapshot and the local text model live here.
    triage_bucket: str = "mspdesk-triage"
    bedrock_model_id: str = "amazon.titan-embed-text-v2:0"
    bedrock_dimensions: Literal[256, 512, 1024] = 1024
    # An OpenSearch Service domain's endpoint URL. Not Serverless: its vector collections
    # refuse our own document ids (ticket numbers), so a reopened ticket could not be removed.
    opensearch_endpoint: str | None = None
    opensearch_index: str = "mspdesk-tickets"
    # The Secrets Manager secret holding the Anthropic API key; unset: no LLM triage.
    anthropic_secret_id: str | None = None
    anthropic_model: str = "claude-haiku-4-5"
    # Tests point the SDK at a fake server; unset in AWS.
    anthropic_base_url: str | None = None
    llm_timeout_seconds: float = Field(default=10.0, gt=0, le=60)


@lru_cache(maxsize=1)
def triage_config() -> TriageConfig:
    return TriageConfig()
