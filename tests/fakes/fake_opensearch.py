"""A fake OpenSearch k-NN cluster: a real HTTP server on 127.0.0.1 that answers the requests
opensearch-py sends (index create/delete/exists, bulk, k-NN search, count, delete by id).

It checks request shapes as OpenSearch would and answers 400 with an OpenSearch error body
when they are wrong, so a passing test proves the request itself is right. Cosine similarity
is computed for real over the stored vectors and scored as the cosinesimil space does.
Switches: `fail_with` (answer every request with that status), `drop_connections` (close the
socket without answering), `delay` (seconds before answering), `reject_ids` (bulk item errors).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Matcher = Callable[[dict[str, Any]], bool]
_FIELD_TYPES = {"keyword", "integer", "long", "date", "knn_vector"}
_SPACES = {"cosinesimil"}
_ENGINES = {"lucene", "faiss"}


class OpenSearchError(Exception):
    def __init__(self, status: int, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.kind, self.reason = status, kind, reason

    def body(self) -> dict[str, Any]:
        cause = {"type": self.kind, "reason": self.reason}
        return {"error": {"root_cause": [cause], **cause}, "status": self.status}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def ndjson(self) -> list[Any]:
        return [json.loads(line) for line in self.body.decode().splitlines() if line.strip()]


@dataclass
class Index:
    mappings: dict[str, Any]
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.mappings["properties"])

    @property
    def dimension(self) -> int:
        return int(self.properties["vector"]["dimension"])


class FakeOpenSearch:
    def __init__(self) -> None:
        self.indices: dict[str, Index] = {}
        self.requests: list[Recorded] = []
        self.fail_with: int | None = None
        self.drop_connections = False
        self.delay = 0.0
        self.reject_ids: set[str] = set()
        self._lock = threading.Lock()
        # Set on close, so a handler held back by `delay` lets go at once.
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add 40 ms to every answer.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    self.command,
                    unquote(parts.path),
                    parse_qs(parts.query),
                    dict(self.headers),
                    body,
                )
                fake.requests.append(recorded)
                if fake.delay:
                    fake._closing.wait(fake.delay)
                # A closed cluster also hangs up on connections the client kept alive.
                if fake.drop_connections or fake._closing.is_set():
                    self.close_connection = True
                    return
                try:
                    if fake.fail_with is not None:
                        raise OpenSearchError(fake.fail_with, "unavailable", "switched off by test")
                    with fake._lock:
                        status, answer = fake.route(recorded)
                except OpenSearchError as error:
                    status, answer = error.status, error.body()
                except ValueError as error:  # a body that is not JSON
                    refused = OpenSearchError(400, "parsing_exception", str(error))
                    status, answer = refused.status, refused.body()
                self._answer(status, answer)

            def _answer(self, status: int, answer: Any) -> None:
                data = b"" if answer is None else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up waiting (a timeout test): nobody is listening.
                    self.close_connection = True

            def do_GET(self) -> None:
                self._serve()

            def do_HEAD(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll keeps close() (and so each test's teardown) quick.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        """Stops listening: later requests are refused at the socket."""
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, method: str, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    # Routing -----------------------------------------------------------------------------

    def route(self, request: Recorded) -> tuple[int, Any]:
        segments = [s for s in request.path.split("/") if s]
        method = request.method
        if not segments and method in ("GET", "HEAD"):
            return 200, _cluster_info()
        if segments == ["_bulk"] and method in ("POST", "PUT"):
            return 200, self._bulk(None, request)
        if len(segments) == 1 and not segments[0].startswith("_"):
            name = segments[0]
            if method == "HEAD":
                return (200 if name in self.indices else 404), None
            if method == "PUT":
                return 200, self._create(name, _json(request))
            if method == "DELETE":
                self._index(name)
                del self.indices[name]
                return 200, {"acknowledged": True}
        if len(segments) == 2:
            name, action = segments
            if action == "_bulk" and method in ("POST", "PUT"):
                return 200, self._bulk(name, request)
            if action == "_search" and method in ("GET", "POST"):
                return 200, self._search(name, _json(request))
            if action == "_count" and method in ("GET", "POST"):
                return 200, self._count(name, _json(request) if request.body else {})
        if len(segments) == 3 and segments[1] == "_doc" and method == "DELETE":
            return self._delete_doc(segments[0], segments[2])
        raise OpenSearchError(
            400,
            "illegal_argument_exception",
            f"no handler found for uri [{request.path}] and method [{method}]",
        )

    def _index(self, name: str) -> Index:
        found = self.indices.get(name)
        if found is None:
            raise OpenSearchError(404, "index_not_found_exception", f"no such index [{name}]")
        return found

    # Index management --------------------------------------------------------------------

    def _create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name in self.indices:
            raise OpenSearchError(
                400, "resource_already_exists_exception", f"index [{name}] already exists"
            )
        settings = body.get("settings", {})
        knn = settings.get("index", {}).get("knn", settings.get("index.knn"))
        if knn is not True:
            raise OpenSearchError(
                400, "illegal_argument_exception", "knn_vector needs settings.index.knn: true"
            )
        mappings = body.get("mappings")
        if not isinstance(mappings, dict) or not isinstance(mappings.get("properties"), dict):
            raise OpenSearchError(400, "mapper_parsing_exception", "mappings.properties missing")
        for field_name, spec in mappings["properties"].items():
            kind = spec.get("type")
            if kind not in _FIELD_TYPES:
                raise OpenSearchError(
                    400,
                    "mapper_parsing_exception",
                    f"No handler for type [{kind}] declared on field [{field_name}]",
                )
            if kind == "knn_vector":
                _check_knn_mapping(field_name, spec)
        vector = mappings["properties"].get("vector", {})
        if vector.get("type") != "knn_vector":
            raise OpenSearchError(400, "mapper_parsing_exception", "field [vector] not knn_vector")
        self.indices[name] = Index(mappings)
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    # Documents ---------------------------------------------------------------------------

    def _bulk(self, path_index: str | None, request: Recorded) -> dict[str, Any]:
        lines = request.ndjson()
        if not request.body.endswith(b"\n"):
            raise OpenSearchError(
                400,
                "illegal_argument_exception",
                "The bulk request must be terminated by a newline",
            )
        items: list[dict[str, Any]] = []
        position = 0
        while position < len(lines):
            action = lines[position]
            if not isinstance(action, dict) or len(action) != 1:
                raise OpenSearchError(400, "illegal_argument_exception", f"bad action {action}")
            ((op, meta),) = action.items()
            if op not in ("index", "delete"):
                raise OpenSearchError(
                    400, "illegal_argument_exception", f"Unsupported action: [{op}]"
                )
            name = meta.get("_index", path_index)
            doc_id = meta.get("_id")
            if name is None or doc_id is None:
                raise OpenSearchError(
                    400, "action_request_validation_exception", "index and _id are required"
                )
            if op == "index":
                position += 1
                if position >= len(lines):
                    raise OpenSearchError(400, "illegal_argument_exception", "source missing")
                items.append({op: self._index_doc(name, str(doc_id), lines[position])})
            else:
                status, outcome = self._delete_doc(name, str(doc_id))
                items.append({op: {**outcome, "status": status}})
            position += 1
        errors = any("error" in outcome for item in items for outcome in item.values())
        return {"took": 1, "errors": errors, "items": items}

    def _index_doc(self, name: str, doc_id: str, source: Any) -> dict[str, Any]:
        outcome: dict[str, Any] = {"_index": name, "_id": doc_id}
        try:
            index = self._index(name)
            if doc_id in self.reject_ids:
                raise OpenSearchError(400, "mapper_parsing_exception", "rejected by test")
            _check_document(index, source)
        except OpenSearchError as error:
            return {**outcome, "status": error.status, "error": error.body()["error"]}
        created = doc_id not in index.docs
        index.docs[doc_id] = source
        return {
            **outcome,
            "result": "created" if created else "updated",
            "status": 201 if created else 200,
        }

    def _delete_doc(self, name: str, doc_id: str) -> tuple[int, dict[str, Any]]:
        index = self._index(name)
        found = index.docs.pop(doc_id, None) is not None
        outcome = {"_index": name, "_id": doc_id, "result": "deleted" if found else "not_found"}
        return (200 if found else 404), outcome

    # Search ------------------------------------------------------------------------------

    def _search(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        index = self._index(name)
        unknown = set(body) - {"size", "_source", "query"}
        if unknown:
            raise OpenSearchError(400, "parsing_exception", f"unknown keys {sorted(unknown)}")
        size = body.get("size", 10)
        query = body.get("query")
        if not isinstance(query, dict) or set(query) != {"knn"}:
            raise OpenSearchError(400, "parsing_exception", f"expected a knn query, got {query}")
        knn = query["knn"]
        if not isinstance(knn, dict) or len(knn) != 1:
            raise OpenSearchError(400, "parsing_exception", "[knn] takes exactly one field")
        ((field_name, clause),) = knn.items()
        spec = index.properties.get(field_name, {})
        if spec.get("type") != "knn_vector":
            raise OpenSearchError(
                400, "illegal_argument_exception", f"Field '{field_name}' is not knn_vector type."
            )
        if not isinstance(clause, dict) or set(clause) - {"vector", "k", "filter"}:
            raise OpenSearchError(400, "parsing_exception", f"[knn] unknown keys in {clause}")
        vector: Any = clause.get("vector")
        k = clause.get("k")
        if not _is_vector(vector, index.dimension):
            raise OpenSearchError(
                400,
                "illegal_argument_exception",
                f"Query vector has invalid dimension. Dimension should be: {index.dimension}",
            )
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 10_000:
            raise OpenSearchError(400, "illegal_argument_exception", f"[knn] bad k [{k}]")
        matches = _matcher(index, clause.get("filter", {"match_all": {}}))
        scored = sorted(
            (
                (_cosinesimil_score(vector, doc[field_name]), doc_id, doc)
                for doc_id, doc in index.docs.items()
                if matches(doc)
            ),
            key=lambda hit: -hit[0],
        )[: min(k, size)]
        hits = [
            {"_index": name, "_id": doc_id, "_score": score, "_source": _source(doc, body)}
            for score, doc_id, doc in scored
        ]
        return {
            "took": 1,
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {
                "total": {"value": len(hits), "relation": "eq"},
                "max_score": hits[0]["_score"] if hits else None,
                "hits": hits,
            },
        }

    def _count(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        index = self._index(name)
        matches = _matcher(index, body.get("query", {"match_all": {}}))
        return {"count": sum(1 for doc in index.docs.values() if matches(doc))}


def _cluster_info() -> dict[str, Any]:
    return {
        "name": "fake-node",
        "cluster_name": "fake",
        "version": {"distribution": "opensearch", "number": "2.19.0"},
        "tagline": "The OpenSearch Project: https://opensearch.org/",
    }


def _json(request: Recorded) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as error:
        raise OpenSearchError(400, "parsing_exception", f"not JSON: {error}") from error
    if not isinstance(body, dict):
        raise OpenSearchError(400, "parsing_exception", "body must be an object")
    return body


def _check_knn_mapping(name: str, spec: dict[str, Any]) -> None:
    dimension = spec.get("dimension")
    if not isinstance(dimension, int) or not 1 <= dimension <= 16_000:
        raise OpenSearchError(
            400, "mapper_parsing_exception", f"[{name}] dimension must be 1..16000"
        )
    method = spec.get("method", {})
    if (
        method.get("name") != "hnsw"
        or method.get("space_type") not in _SPACES
        or method.get("engine") not in _ENGINES
    ):
        raise OpenSearchError(400, "mapper_parsing_exception", f"[{name}] bad method {method}")


def _is_vector(value: Any, dimension: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == dimension
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)
        and any(x != 0 for x in value)
    )


def _check_document(index: Index, source: Any) -> None:
    if not isinstance(source, dict):
        raise OpenSearchError(400, "mapper_parsing_exception", "document must be an object")
    properties = index.properties
    if index.mappings.get("dynamic") == "strict":
        extra = set(source) - set(properties)
        if extra:
            raise OpenSearchError(
                400,
                "strict_dynamic_mapping_exception",
                f"mapping set to strict, dynamic introduction of {sorted(extra)} not allowed",
            )
    for name, value in source.items():
        kind = properties.get(name, {}).get("type")
        if value is None:
            continue
        if kind == "knn_vector" and not _is_vector(value, index.dimension):
            raise OpenSearchError(
                400,
                "mapper_parsing_exception",
                f"Vector dimension mismatch. Expected: {index.dimension}",
            )
        if kind == "keyword" and not isinstance(value, str):
            raise OpenSearchError(400, "mapper_parsing_exception", f"[{name}] not a string")
        if kind in ("integer", "long") and (
            not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**31
        ):
            raise OpenSearchError(400, "mapper_parsing_exception", f"[{name}] not an integer")
        if kind == "date":
            try:
                datetime.fromisoformat(value)
            except (TypeError, ValueError) as error:
                raise OpenSearchError(
                    400, "mapper_parsing_exception", f"[{name}] not a date: {value!r}"
                ) from error


def _matcher(index: Index, query: Any) -> Matcher:
    """The filter queries the adapter may send: term on a keyword, bool of those, match_all."""
    if not isinstance(query, dict) or len(query) != 1:
        raise OpenSearchError(400, "parsing_exception", f"bad query {query}")
    ((kind, spec),) = query.items()
    if kind == "match_all":
        return lambda doc: True
    if kind == "term" and isinstance(spec, dict) and len(spec) == 1:
        ((name, value),) = spec.items()
        if index.properties.get(name, {}).get("type") != "keyword":
            raise OpenSearchError(400, "query_shard_exception", f"[term] on unmapped [{name}]")
        wanted = value.get("value") if isinstance(value, dict) else value
        return lambda doc: doc.get(name) == wanted
    if kind == "bool" and isinstance(spec, dict) and set(spec) <= {"filter", "must"}:
        clauses: list[Matcher] = []
        for key in ("filter", "must"):
            listed = spec.get(key, [])
            clauses += [
                _matcher(index, c) for c in (listed if isinstance(listed, list) else [listed])
            ]
        return lambda doc: all(match(doc) for match in clauses)
    raise OpenSearchError(400, "parsing_exception", f"unknown query [{kind}]")


def _cosinesimil_score(query: list[float], stored: list[float]) -> float:
    # The cosinesimil space: d = 1 - cos, score = (2 - d) / 2 = (1 + cos) / 2.
    dot = sum(a * b for a, b in zip(query, stored, strict=True))
    cos = dot / (math.sqrt(sum(a * a for a in query)) * math.sqrt(sum(b * b for b in stored)))
    return max((2.0 - (1.0 - cos)) / 2.0, 0.0)


def _source(doc: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("_source", True)
    if spec is True:
        return doc
    if not isinstance(spec, dict) or set(spec) - {"excludes", "includes"}:
        raise OpenSearchError(400, "parsing_exception", f"bad _source {spec}")
    includes = spec.get("includes")
    return {
        name: value
        for name, value in doc.items()
        if name not in spec.get("excludes", []) and (includes is None or name in includes)
    }
