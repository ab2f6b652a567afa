"""The Embedder on Amazon Bedrock: Titan Text Embeddings v2 through InvokeModel.

Titan embeds one text per call, so a batch fans out over a small thread pool (boto3 clients
are thread-safe). Every failure (throttling, 5xx, timeouts, a malformed answer) becomes
TriageUnavailable, so triage falls back instead of failing the ticket.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from mspdesk.triage.ports import TriageUnavailable

TITAN_V2 = "amazon.titan-embed-text-v2:0"
TITAN_V2_DIMENSIONS = (1024, 512, 256)
# Titan v2 refuses input over 8,192 tokens or 50,000 characters instead of cutting it. AWS's
# own ratio (8,192 tokens for 50,000 characters) holds for prose; logs, code and non-Latin
# scripts take more tokens a character, so 30,000 leaves room for them. The opening of a ticket
# carries its meaning anyway.
MAX_INPUT_CHARS = 30_000
# Enough to embed a reindex batch quickly without tripping Bedrock's requests-per-minute quota.
MAX_WORKERS = 4


def bedrock_runtime_client(
    region: str | None = None, *, endpoint_url: str | None = None, read_timeout: float = 5.0
) -> Any:
    """A bedrock-runtime client that gives up quickly: triage has a fallback, a user is waiting."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            connect_timeout=2,
            read_timeout=read_timeout,
            # total_max_attempts counts the first call; botocore's max_attempts counts retries.
            retries={"mode": "standard", "total_max_attempts": 2},
        ),
    )


class BedrockTitanEmbedder:
    """Titan Text Embeddings v2. The client (or its factory) is made on first use."""

    def __init__(
        self,
        client: Any | Callable[[], Any] = bedrock_runtime_client,
        model_id: str = TITAN_V2,
        dimensions: int = 1024,
    ) -> None:
        if dimensions not in TITAN_V2_DIMENSIONS:
            raise ValueError(f"Titan v2 makes {TITAN_V2_DIMENSIONS} dimensions, not {dimensions}")
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self.model_id = model_id
        self.dimensions = dimensions

    @property
    def name(self) -> str:
        return f"bedrock:{self.model_id}:{self.dimensions}"

    def _bedrock(self) -> Any:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        return self._client

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        from botocore.exceptions import BotoCoreError

        if not texts:
            return np.empty((0, self.dimensions), dtype=np.float32)
        try:
            client = self._bedrock()
        except BotoCoreError as error:  # no region or credentials: misconfigured, not fatal
            raise TriageUnavailable(f"Bedrock client: {error}") from error
        if len(texts) == 1:
            return self._embed_one(client, texts[0])[np.newaxis, :]
        pool = ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(texts)))
        try:
            rows = list(pool.map(lambda text: self._embed_one(client, text), texts))
        finally:
            # After the first failure the rest of the batch is wasted quota: do not start it.
            pool.shutdown(cancel_futures=True)
        return np.stack(rows)

    def _embed_one(self, client: Any, text: str) -> npt.NDArray[np.float32]:
        from botocore.exceptions import BotoCoreError, ClientError

        body = {
            "inputText": text[:MAX_INPUT_CHARS],
            "dimensions": self.dimensions,
            "normalize": True,
        }
        try:
            response = client.invoke_model(
                modelId=self.model_id,
                body=json.dumps(body),
                contentType="application/json",
                accept="application/json",
            )
            payload = json.loads(response["body"].read())
        except ClientError as error:
            details = error.response.get("Error", {})
            raise TriageUnavailable(
                f"Bedrock {self.model_id} refused: {details.get('Code')} {details.get('Message')}"
            ) from error
        except BotoCoreError as error:
            raise TriageUnavailable(f"Bedrock {self.model_id} unreachable: {error}") from error
        except ValueError as error:
            raise TriageUnavailable(f"Bedrock {self.model_id} answered non-JSON") from error
        return self._vector(payload)

    def _vector(self, payload: Any) -> npt.NDArray[np.float32]:
        embedding = payload.get("embedding") if isinstance(payload, dict) else None
        try:
            vector = np.asarray(embedding, dtype=np.float32)
        except (TypeError, ValueError) as error:
            raise TriageUnavailable(f"Bedrock {self.model_id}: no embedding") from error
        if vector.shape != (self.dimensions,) or not np.all(np.isfinite(vector)):
            raise TriageUnavailable(
                f"Bedrock {self.model_id}: expected {self.dimensions} finite numbers, "
                f"got shape {vector.shape}"
            )
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            raise TriageUnavailable(f"Bedrock {self.model_id}: zero vector")
        # normalize=true should already give unit length; the index's cosine maths relies on it.
        return vector / np.float32(norm)
