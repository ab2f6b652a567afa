"""A fake Bedrock runtime: a real HTTP server on 127.0.0.1 answering InvokeModel for Titan Text
Embeddings v2 (POST /model/{modelId}/invoke) as botocore sends and parses it.

It checks the SigV4 scope, the model id and the body as Titan v2 would, and answers with a
deterministic unit vector seeded by the text, so a test can predict every row. Switches:
`fail_with` (429 ThrottlingException, 500 InternalServerException, ...), `delay` (seconds
before answering), `respond_with` (a body of the test's choosing, e.g. malformed), `scale`
(multiplies the vector, to check that callers re-normalise).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import numpy as np
import numpy.typing as npt

TITAN_V2 = "amazon.titan-embed-text-v2:0"
_ERRORS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def expected_embedding(text: str, dimensions: int) -> npt.NDArray[np.float32]:
    """The unit vector the fake answers for `text`."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
    vector = np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32)
    return vector / np.float32(np.linalg.norm(vector))


class BedrockError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Invocation:
    model_id: str
    headers: dict[str, str]
    body: Any


class FakeBedrock:
    def __init__(self, region: str = "eu-west-2") -> None:
        self.region = region
        self.invocations: list[Invocation] = []
        self.fail_with: int | None = None
        self.delay = 0.0
        self.respond_with: Any = None
        self.scale = 1.0
        # Set on reset and close, so a handler held back by `delay` lets go at once.
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add 40 ms to every answer.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                if fake.delay:
                    fake._release.wait(fake.delay)
                try:
                    status, answer = 200, fake.invoke(self.path, dict(self.headers), raw)
                except BedrockError as error:
                    status, answer = error.status, {"message": error.message}
                self._answer(status, answer)

            def _answer(self, status: int, answer: Any) -> None:
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if status != 200:
                        self.send_header("x-amzn-ErrorType", f"{_ERRORS.get(status, 'Unknown')}:")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up waiting (a timeout test): nobody is listening.
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll keeps close() (and so each test's teardown) quick.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def reset(self) -> None:
        """Forgets the invocations and turns every switch off: the server can serve a module."""
        self._release.set()
        self._release = threading.Event()
        self.invocations = []
        self.fail_with = None
        self.delay = 0.0
        self.respond_with = None
        self.scale = 1.0

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def texts(self) -> list[str]:
        """The inputText of every invocation that reached the fake, in arrival order."""
        return [i.body["inputText"] for i in self.invocations if isinstance(i.body, dict)]

    def invoke(self, path: str, headers: dict[str, str], raw: bytes) -> Any:
        prefix, suffix = "/model/", "/invoke"
        if not (path.startswith(prefix) and path.endswith(suffix)):
            raise BedrockError(404, f"no route for {path}")
        model_id = unquote(path[len(prefix) : -len(suffix)])
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        self.invocations.append(Invocation(model_id, headers, body))
        self._check_signature(headers)
        if model_id != TITAN_V2:
            raise BedrockError(404, f"model {model_id} not found")
        if self.fail_with is not None:
            raise BedrockError(self.fail_with, "switched off by test")
        if headers.get("Content-Type") != "application/json":
            raise BedrockError(400, "contentType must be application/json")
        text, dimensions = _check_titan_v2(body)
        if self.respond_with is not None:
            return self.respond_with
        vector = expected_embedding(text, dimensions) * np.float32(self.scale)
        return {
            "embedding": vector.tolist(),
            "inputTextTokenCount": len(text.split()),
            "embeddingsByType": {"float": vector.tolist()},
        }

    def _check_signature(self, headers: dict[str, str]) -> None:
        scope = f"/{self.region}/bedrock/aws4_request"
        authorization = headers.get("Authorization", "")
        if not authorization.startswith("AWS4-HMAC-SHA256 ") or scope not in authorization:
            raise BedrockError(403, f"request not signed for {scope}")


def _check_titan_v2(body: Any) -> tuple[str, int]:
    """Titan v2's own validation: inputText required, dimensions and normalize optional."""
    if not isinstance(body, dict):
        raise BedrockError(400, "Malformed input request: body must be a JSON object")
    unknown = set(body) - {"inputText", "dimensions", "normalize", "embeddingTypes"}
    if unknown:
        raise BedrockError(400, f"Malformed input request: extraneous keys {sorted(unknown)}")
    text = body.get("inputText")
    if not isinstance(text, str) or not text:
        raise BedrockError(400, "Malformed input request: inputText must be a non-empty string")
    if len(text) > 50_000:
        raise BedrockError(400, "Malformed input request: inputText longer than 50000")
    dimensions = body.get("dimensions", 1024)
    if dimensions not in (1024, 512, 256) or isinstance(dimensions, bool):
        raise BedrockError(400, "Malformed input request: dimensions must be 1024, 512 or 256")
    if not isinstance(body.get("normalize", True), bool):
        raise BedrockError(400, "Malformed input request: normalize must be a boolean")
    return text, int(dimensions)
