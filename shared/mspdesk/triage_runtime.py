"""Builds the triage service once per container with the adapters the deployment chose
(mspdesk.triage_config): the local text model or Bedrock, the embedded index or OpenSearch,
the Anthropic API when a key is configured. numpy, opensearch-py and the anthropic SDK are
imported here only when chosen, so each function loads only what it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mspdesk.config import Settings
from mspdesk.runtime import aws_client, build_deps
from mspdesk.services.deps import Deps
from mspdesk.triage_config import TriageConfig

if TYPE_CHECKING:
    from mspdesk.services.triage import TriageService
    from mspdesk.triage.ports import Embedder, VectorIndex


def triage_service(
    config: Settings, triage: TriageConfig, deps: Deps | None = None
) -> TriageService:
    from mspdesk.adapters.blobs import S3Blobs
    from mspdesk.services.triage import TriageService
    from mspdesk.store.triage import TriageStore
    from mspdesk.triage.llm_method import AnthropicMethod
    from mspdesk.triage.vectors import Vectors

    deps = deps or build_deps(config)
    embedder: Embedder | None = None
    if triage.triage_embedder == "bedrock":
        from mspdesk.triage.bedrock import BedrockTitanEmbedder, bedrock_runtime_client

        embedder = BedrockTitanEmbedder(
            lambda: bedrock_runtime_client(config.region, endpoint_url=config.aws_endpoint_url),
            model_id=triage.bedrock_model_id,
            dimensions=triage.bedrock_dimensions,
        )
    index: VectorIndex | None = None
    if triage.triage_vector_index == "opensearch":
        if not triage.opensearch_endpoint:
            raise ValueError("MSPDESK_OPENSEARCH_ENDPOINT is required for the opensearch index")
        from mspdesk.triage.opensearch_index import OpenSearchIndex

        index = OpenSearchIndex.for_aws(
            triage.opensearch_endpoint,
            config.region,
            "es",
            triage.opensearch_index,
        )
    vectors = Vectors(
        TriageStore(deps.store),
        S3Blobs(lambda: aws_client("s3", config)),
        triage.triage_bucket,
        embedder=embedder,
        index=index,
    )
    llm = AnthropicMethod.from_config(config, triage, deps) if triage.anthropic_secret_id else None
    return TriageService(deps, vectors, llm)
