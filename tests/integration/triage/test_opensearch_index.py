"""OpenSearchIndex through the real opensearch-py client against a fake k-NN cluster that checks
every request shape and computes cosine similarity for real."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
from opensearchpy import OpenSearch

from mspdesk.triage.opensearch_index import BULK_CHUNK, OpenSearchIndex, opensearch_client
from mspdesk.triage.ports import IndexedTicket, TriageUnavailable
from tests.fakes.fake_opensearch import FakeOpenSearch

DIM = 16
INDEX = "mspdesk-triage"


@pytest.fixture
def cluster() -> Iterator[FakeOpenSearch]:
    fake = FakeOpenSearch()
    yield fake
    fake.close()


@pytest.fixture
def index(cluster: FakeOpenSearch) -> OpenSearchIndex:
    built = OpenSearchIndex(lambda: opensearch_client(cluster.url, timeout=0.5), INDEX)
    built.reset(DIM)
    return built


def ticket(number: int, **fields: object) -> IndexedTicket:
    values: dict[str, object] = {
        "number": number,
        "client_id": "acme",
        "category_id": "email",
        "priority": "P3",
        "team_id": "service-desk",
        "agent_id": "alice",
        "resolution_minutes": 45,
        "resolved_at": "2024-05-01T10:15:00+00:00",
    }
    values.update(fields)
    return IndexedTicket(**values)  # type: ignore[arg-type]


def unit_rows(count: int, seed: int = 7) -> npt.NDArray[np.float32]:
    rows = np.random.default_rng(seed).standard_normal((count, DIM)).astype(np.float32)
    normalised: npt.NDArray[np.float32] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return normalised


def test_reset_creates_a_knn_index_for_the_given_dimension(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    vector = cluster.indices[INDEX].properties["vector"]

    assert vector["type"] == "knn_vector"
    assert vector["dimension"] == DIM
    assert vector["method"] == {"name": "hnsw", "space_type": "cosinesimil", "engine": "lucene"}
    assert index.count() == 0


def test_reset_empties_the_index_and_recreates_it_for_a_new_dimension(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    index.upsert([ticket(1), ticket(2)], unit_rows(2))

    index.reset(8)

    assert index.count() == 0
    assert cluster.indices[INDEX].dimension == 8


def test_search_returns_the_most_similar_resolved_tickets_first_with_their_cosine(
    index: OpenSearchIndex,
) -> None:
    rows = unit_rows(30)
    index.upsert([ticket(100 + i) for i in range(30)], rows)
    query = unit_rows(1, seed=99)[0]

    found = index.search(query, k=5)

    cosines = rows @ query
    best = np.argsort(-cosines)[:5]
    assert [n.ticket.number for n in found] == [100 + int(i) for i in best]
    assert [n.similarity for n in found] == pytest.approx(cosines[best].tolist(), abs=1e-5)


def test_search_filters_resolved_inside_the_knn_clause_and_leaves_the_vector_out(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    index.upsert([ticket(1)], unit_rows(1))

    index.search(unit_rows(1)[0], k=3)

    (request,) = cluster.requests_to("POST", f"/{INDEX}/_search")
    body = request.json()
    assert body["size"] == 3
    assert body["_source"] == {"excludes": ["vector"]}
    assert body["query"]["knn"]["vector"]["k"] == 3
    assert body["query"]["knn"]["vector"]["filter"] == {"term": {"status": "resolved"}}


def test_search_accepts_a_single_row_matrix(index: OpenSearchIndex) -> None:
    rows = unit_rows(3)
    index.upsert([ticket(1), ticket(2), ticket(3)], rows)

    found = index.search(rows[1:2], k=1)

    assert found[0].ticket.number == 2
    assert found[0].similarity == pytest.approx(1.0, abs=1e-5)


def test_a_removed_ticket_is_no_longer_found_or_counted(index: OpenSearchIndex) -> None:
    rows = unit_rows(3)
    index.upsert([ticket(1), ticket(2), ticket(3)], rows)

    index.remove(2)

    assert index.count() == 2
    assert 2 not in [n.ticket.number for n in index.search(rows[1], k=3)]


def test_removing_an_absent_ticket_does_nothing(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    index.remove(404)
    del cluster.indices[INDEX]
    index.remove(404)


def test_count_is_zero_when_the_index_does_not_exist(cluster: FakeOpenSearch) -> None:
    index = OpenSearchIndex(opensearch_client(cluster.url, timeout=0.5), "never-created")

    assert index.count() == 0


def test_upserting_a_ticket_again_replaces_it(index: OpenSearchIndex) -> None:
    first, second = unit_rows(2)
    index.upsert([ticket(7, priority="P3")], first[np.newaxis, :])

    index.upsert([ticket(7, priority="P1", agent_id="bob")], second[np.newaxis, :])

    assert index.count() == 1
    (found,) = index.search(second, k=5)
    assert found.ticket == ticket(7, priority="P1", agent_id="bob")
    assert found.similarity == pytest.approx(1.0, abs=1e-5)


def test_indexed_ticket_fields_round_trip_exactly_including_none(index: OpenSearchIndex) -> None:
    sparse = ticket(
        41, category_id=None, team_id=None, agent_id=None, resolved_at="2024-12-31T23:59:59Z"
    )
    full = ticket(42, client_id="globex", resolution_minutes=0)
    rows = unit_rows(2)
    index.upsert([sparse, full], rows)

    assert index.search(rows[0], k=1)[0].ticket == sparse
    assert index.search(rows[1], k=1)[0].ticket == full


def test_upsert_sends_bulk_requests_to_the_index_in_chunks(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    count = BULK_CHUNK + 1
    index.upsert([ticket(i) for i in range(count)], unit_rows(count))

    bulks = cluster.requests_to("POST", f"/{INDEX}/_bulk")
    assert [len(b.ndjson()) // 2 for b in bulks] == [BULK_CHUNK, 1]
    assert bulks[1].ndjson()[0] == {"index": {"_id": str(BULK_CHUNK)}}
    assert index.count() == count


def test_an_item_refused_in_bulk_raises_triage_unavailable(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    cluster.reject_ids = {"2"}

    with pytest.raises(TriageUnavailable, match="first ticket 2: mapper_parsing_exception"):
        index.upsert([ticket(1), ticket(2), ticket(3)], unit_rows(3))


def test_upsert_with_a_vector_per_ticket_missing_is_a_programming_error(
    index: OpenSearchIndex,
) -> None:
    with pytest.raises(ValueError, match="2 tickets"):
        index.upsert([ticket(1), ticket(2)], unit_rows(1))


def test_vectors_of_the_wrong_dimension_are_refused_by_the_index(index: OpenSearchIndex) -> None:
    wrong = np.ones((1, DIM + 1), dtype=np.float32)

    with pytest.raises(TriageUnavailable, match="Vector dimension mismatch"):
        index.upsert([ticket(1)], wrong)
    with pytest.raises(TriageUnavailable, match="invalid dimension"):
        index.search(wrong[0])


OPERATIONS = {
    "search": lambda index: index.search(unit_rows(1)[0]),
    "upsert": lambda index: index.upsert([ticket(1)], unit_rows(1)),
    "remove": lambda index: index.remove(1),
    "count": lambda index: index.count(),
    "reset": lambda index: index.reset(DIM),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("outage", ["503", "dropped", "refused"])
def test_opensearch_down_raises_triage_unavailable(
    index: OpenSearchIndex, cluster: FakeOpenSearch, operation: str, outage: str
) -> None:
    if outage == "503":
        cluster.fail_with = 503
    elif outage == "dropped":
        cluster.drop_connections = True
    else:
        cluster.close()

    with pytest.raises(TriageUnavailable, match=f"OpenSearch {operation}"):
        OPERATIONS[operation](index)


def test_a_server_slower_than_the_timeout_raises_triage_unavailable(
    index: OpenSearchIndex, cluster: FakeOpenSearch
) -> None:
    cluster.delay = 5.0

    with pytest.raises(TriageUnavailable, match="OpenSearch search"):
        index.search(unit_rows(1)[0])
    # A timeout is not retried: the caller's fallback is faster than a second wait.
    assert len(cluster.requests_to("POST", f"/{INDEX}/_search")) == 1


def test_the_client_is_made_on_first_use(cluster: FakeOpenSearch) -> None:
    made: list[str] = []

    def factory() -> OpenSearch:
        made.append("client")
        return opensearch_client(cluster.url, timeout=0.5)

    index = OpenSearchIndex(factory, INDEX)
    assert made == []

    index.reset(DIM)
    index.count()
    assert made == ["client"]


def test_for_aws_signs_with_sigv4_for_the_service_over_verified_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import requests

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    index = OpenSearchIndex.for_aws(
        "abc123.eu-west-2.aoss.amazonaws.com", "eu-west-2", "aoss", INDEX
    )

    (connection,) = index._os().transport.connection_pool.connections
    assert connection.host == "https://abc123.eu-west-2.aoss.amazonaws.com:443"
    # requests verifies against a CA bundle path, or True for its default bundle.
    assert connection.session.verify not in (False, None)
    assert connection.timeout == 5.0
    request = requests.Request("POST", f"{connection.host}/{INDEX}/_search", data=b"{}")
    signed = connection.session.auth(request.prepare())
    assert "/eu-west-2/aoss/aws4_request" in signed.headers["Authorization"]


def test_for_aws_refuses_plain_http() -> None:
    with pytest.raises(ValueError, match="https"):
        OpenSearchIndex.for_aws("http://search.example", "eu-west-2", "es", INDEX)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/plain", {"mappings": {"properties": {"vector": {"type": "knn_vector"}}}}),
        ("POST", f"/{INDEX}/_search", {"query": {"match_all": {}}}),
        ("POST", f"/{INDEX}/_search", {"query": {"knn": {"vector": {"vector": [1.0], "k": 1}}}}),
        ("POST", f"/{INDEX}/_search", {"query": {"knn": {"client_id": {"vector": [1.0]}}}}),
    ],
    ids=["no-knn-setting", "not-knn", "wrong-dimension", "not-a-vector-field"],
)
def test_the_fake_refuses_what_opensearch_would_refuse(
    index: OpenSearchIndex, cluster: FakeOpenSearch, method: str, path: str, body: object
) -> None:
    from opensearchpy.exceptions import RequestError

    with pytest.raises(RequestError):
        opensearch_client(cluster.url).transport.perform_request(method, path, body=body)
