"""The VectorIndex on OpenSearch k-NN: one document per resolved ticket, keyed by its number.

Engine: Lucene HNSW with cosinesimil. Lucene filters during the graph search (efficient
filtering, OpenSearch 2.4+) and scores with its own COSINE similarity, the same on every
version; Faiss accepts cosinesimil only from 2.19 (nmslib scored it 1 / (2 - cos)). A few
hundred thousand tickets fit Lucene comfortably, so Faiss's quantisation buys nothing here.

Only code that needs the index imports this module (opensearch-py is heavy at cold start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from opensearchpy import OpenSearch, RequestsAWSV4SignerAuth, RequestsHttpConnection
from opensearchpy.exceptions import NotFoundError, OpenSearchException

from mspdesk.triage.ports import IndexedTicket, Neighbour, TriageUnavailable

if TYPE_CHECKING:
    from mspdesk.triage.ports import Vectors

VECTOR_FIELD = "vector"
RESOLVED = {"term": {"status": "resolved"}}
# A 1024-dimension document is about 20 kB of JSON: 200 of them stay well under the 10 MiB
# request limit of the smallest OpenSearch Service instances.
BULK_CHUNK = 200
_KEYWORDS = ("client_id", "category_id", "priority", "team_id", "agent_id", "status")


def index_body(dimension: int) -> dict[str, Any]:
    """Settings and mappings of the ticket index for vectors of `dimension`."""
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            # A typo in a field name fails the write instead of growing a dynamic mapping.
            "dynamic": "strict",
            "properties": {
                VECTOR_FIELD: {
                    "type": "knn_vector",
                    "dimension": dimension,
                    "method": {"name": "hnsw", "space_type": "cosinesimil", "engine": "lucene"},
                },
                **{name: {"type": "keyword"} for name in _KEYWORDS},
                "number": {"type": "integer"},
                "resolution_minutes": {"type": "integer"},
                "resolved_at": {"type": "date"},
            },
        },
    }


def opensearch_client(url: str, *, timeout: float = 5.0, http_auth: Any = None) -> OpenSearch:
    """A client that fails fast: one retry on a dropped connection or a 502/503/504, none on a
    timeout, because triage has a fallback and a user is waiting."""
    return OpenSearch(
        hosts=[url],
        http_auth=http_auth,
        verify_certs=True,
        connection_class=RequestsHttpConnection,
        timeout=timeout,
        max_retries=1,
        retry_on_timeout=False,
    )


def _similarity(score: float) -> float:
    # cosinesimil scores (2 - d) / 2 with d = 1 - cos, that is (1 + cos) / 2: Lucene's COSINE
    # similarity, and the k-NN plugin's translation for Faiss from 2.19 (docs: k-NN spaces).
    return min(1.0, max(-1.0, 2.0 * score - 1.0))


class OpenSearchIndex:
    """Resolved tickets in an OpenSearch k-NN index. The client is made on first use."""

    def __init__(self, client: OpenSearch | Callable[[], OpenSearch], index: str) -> None:
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self.index = index

    @classmethod
    def for_aws(
        cls,
        endpoint: str,
        region: str,
        service: Literal["es", "aoss"],
        index: str,
        *,
        timeout: float = 5.0,
    ) -> OpenSearchIndex:
        """An OpenSearch Service domain ("es") or Serverless collection ("aoss"), over TLS,
        signed with SigV4 from boto3's default credentials (the Lambda role)."""
        url = endpoint if "://" in endpoint else f"https://{endpoint}"
        if not url.startswith("https://"):
            raise ValueError(f"OpenSearch on AWS is served over https, not {endpoint!r}")

        def make() -> OpenSearch:
            import boto3

            credentials = boto3.session.Session().get_credentials()
            if credentials is None:
                raise TriageUnavailable("no AWS credentials to sign OpenSearch requests")
            auth = RequestsAWSV4SignerAuth(credentials, region, service)
            return opensearch_client(url, timeout=timeout, http_auth=auth)

        return cls(make, index)

    def _os(self) -> OpenSearch:
        if self._client is None and self._make_client is not None:
            self._client = self._make_client()
        assert self._client is not None
        return self._client

    def upsert(self, tickets: Sequence[IndexedTicket], vectors: Vectors) -> None:
        rows = np.asarray(vectors, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[0] != len(tickets):
            raise ValueError(f"{len(tickets)} tickets but vectors of shape {rows.shape}")
        for start in range(0, len(tickets), BULK_CHUNK):
            chunk = range(start, min(start + BULK_CHUNK, len(tickets)))
            body: list[dict[str, Any]] = []
            for i in chunk:
                body += [{"index": {"_id": str(tickets[i].number)}}, _document(tickets[i], rows[i])]
            with self._failures("upsert"):
                response = self._os().bulk(body=body, index=self.index)
            if response.get("errors"):
                raise TriageUnavailable(f"OpenSearch upsert into {self.index}: {_failed(response)}")

    def remove(self, number: int) -> None:
        with self._failures("remove"), suppress(NotFoundError):
            self._os().delete(index=self.index, id=str(number))

    def search(self, vector: Vectors, k: int = 5) -> list[Neighbour]:
        query = np.asarray(vector, dtype=np.float32)
        if query.ndim == 2 and query.shape[0] == 1:
            query = query[0]
        if query.ndim != 1:
            raise ValueError(f"one query vector expected, got shape {query.shape}")
        if k < 1:
            return []
        body = {
            "size": k,
            "_source": {"excludes": [VECTOR_FIELD]},
            "query": {
                "knn": {VECTOR_FIELD: {"vector": query.tolist(), "k": k, "filter": RESOLVED}}
            },
        }
        with self._failures("search"):
            response = self._os().search(index=self.index, body=body)
            return [
                Neighbour(_ticket(hit["_source"]), _similarity(float(hit["_score"])))
                for hit in response["hits"]["hits"]
            ]

    def count(self) -> int:
        with self._failures("count"):
            try:
                response = self._os().count(index=self.index, body={"query": RESOLVED})
            except NotFoundError:
                return 0
            return int(response["count"])

    def reset(self, dimension: int) -> None:
        with self._failures("reset"):
            with suppress(NotFoundError):
                self._os().indices.delete(index=self.index)
            self._os().indices.create(index=self.index, body=index_body(dimension))

    @contextmanager
    def _failures(self, operation: str) -> Iterator[None]:
        try:
            yield
        except OpenSearchException as error:
            raise TriageUnavailable(f"OpenSearch {operation} on {self.index}: {error}") from error
        except (KeyError, TypeError, ValueError) as error:
            raise TriageUnavailable(
                f"OpenSearch {operation} on {self.index}: malformed answer ({error!r})"
            ) from error


def _document(ticket: IndexedTicket, vector: np.ndarray[Any, Any]) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "client_id": ticket.client_id,
        "category_id": ticket.category_id,
        "priority": ticket.priority,
        "team_id": ticket.team_id,
        "agent_id": ticket.agent_id,
        "resolution_minutes": ticket.resolution_minutes,
        "resolved_at": ticket.resolved_at,
        "status": "resolved",
        VECTOR_FIELD: vector.tolist(),
    }


def _ticket(source: dict[str, Any]) -> IndexedTicket:
    return IndexedTicket(
        number=int(source["number"]),
        client_id=str(source["client_id"]),
        category_id=source.get("category_id"),
        priority=str(source["priority"]),
        team_id=source.get("team_id"),
        agent_id=source.get("agent_id"),
        resolution_minutes=int(source["resolution_minutes"]),
        resolved_at=str(source["resolved_at"]),
    )


def _failed(response: dict[str, Any]) -> str:
    """The bulk items that failed, summed up by the first one (bulk answers 200 regardless)."""
    failed = [
        (outcome.get("_id"), outcome["error"])
        for item in response.get("items", [])
        for outcome in item.values()
        if "error" in outcome
    ]
    if not failed:
        return "errors reported without failed items"
    number, error = failed[0]
    reason = error.get("reason") if isinstance(error, dict) else error
    kind = error.get("type") if isinstance(error, dict) else "error"
    return f"{len(failed)} failed, first ticket {number}: {kind}: {reason}"
