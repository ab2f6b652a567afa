"""A fake Anthropic Messages API: a real HTTP server on 127.0.0.1 that the real anthropic SDK
talks to. It checks each request as the API would (refusing bad ones with its 4xx errors), keeps
them, and answers from a script: a tool call, a plain text reply, an HTTP error, or a stall
longer than the client's timeout.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-ant-test-key"
USAGE = {"input_tokens": 1200, "output_tokens": 90}


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass(frozen=True)
class Scripted:
    status: int = 200
    # A tool call's input, a text reply, or an error body.
    tool_input: dict[str, Any] | None = None
    text: str | None = None
    error: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def api_key_of(headers: dict[str, str]) -> str | None:
    """The key as the API takes it: x-api-key, or the bearer token anthropic 2.x sends."""
    bearer = headers.get("authorization", "")
    return headers.get("x-api-key") or (bearer[7:] if bearer.startswith("Bearer ") else None)


def _shape_problem(headers: dict[str, str], body: dict[str, Any]) -> str | None:
    """What the real API would refuse with a 400, or None."""
    if not headers.get("anthropic-version"):
        return "anthropic-version: header is required"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or messages[0].get("role") != "user":
        return "messages: the first message must use the user role"
    tools = body.get("tools") or []
    for tool in tools:
        schema = tool.get("input_schema")
        if not tool.get("name") or not isinstance(schema, dict) or schema.get("type") != "object":
            return "tools: each tool needs a name and an input_schema of type object"
    choice = body.get("tool_choice")
    if choice is not None:
        if choice.get("type") not in ("auto", "any", "tool", "none"):
            return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"
        if choice["type"] == "tool" and choice.get("name") not in {t["name"] for t in tools}:
            return "tool_choice.name: no tool of that name"
    # Every tool_use must be answered by a tool_result in the very next (user) message.
    for turn, following in itertools.zip_longest(messages, messages[1:]):
        content = turn.get("content")
        uses = (
            [b["id"] for b in content if b.get("type") == "tool_use"]
            if isinstance(content, list)
            else []
        )
        if not uses:
            continue
        answered = following.get("content", []) if following else []
        results = {
            b.get("tool_use_id")
            for b in answered
            if isinstance(b, dict) and b.get("type") == "tool_result"
        }
        if following is None or following.get("role") != "user" or not set(uses) <= results:
            return "messages: tool_use ids were found without tool_result blocks immediately after"
    return None


class FakeAnthropic:
    """POST /v1/messages answered from a queue; every request kept in `requests`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: deque[Scripted] = deque()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = json.loads(self.rfile.read(length))
                fake.requests.append(Received(self.path, headers, body))
                status, answer = fake._answer(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("request-id", f"req_fake{next(fake._ids)}")
                data = json.dumps(answer).encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that gave up on a stalled answer has closed its socket: expected.
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll keeps close() (which waits for the next poll) from slowing every test.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def answer(self, tool_input: dict[str, Any]) -> None:
        """Queues a tool_use reply carrying `tool_input`, valid or not."""
        self._script.append(Scripted(tool_input=tool_input))

    def say(self, text: str) -> None:
        """Queues a plain text reply, with no tool call."""
        self._script.append(Scripted(text=text))

    def fail(
        self, status: int = 529, kind: str = "overloaded_error", message: str = "Overloaded"
    ) -> None:
        self._script.append(Scripted(status=status, error={"type": kind, "message": message}))

    def stall(self, seconds: float, tool_input: dict[str, Any]) -> None:
        """Queues a reply sent only after `seconds` (or at close)."""
        self._script.append(Scripted(tool_input=tool_input, delay=seconds))

    def close(self) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    def _answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if path != "/v1/messages":
            return 404, _error("not_found_error", f"no route {path}")
        if api_key_of(headers) != API_KEY:
            return 401, _error("authentication_error", "invalid x-api-key")
        problem = _shape_problem(headers, body)
        if problem is not None:
            return 400, _error("invalid_request_error", problem)
        if not self._script:
            return 500, _error("api_error", "the fake has nothing scripted")
        step = self._script.popleft()
        if step.delay:
            self._closing.wait(step.delay)
        if step.error:
            return step.status, {"type": "error", "error": step.error}
        number = next(self._ids)
        if step.text is not None:
            content: list[dict[str, Any]] = [{"type": "text", "text": step.text}]
            stop = "end_turn"
        else:
            tool = (body.get("tool_choice") or {}).get("name") or body["tools"][0]["name"]
            content = [
                {
                    "type": "tool_use",
                    "id": f"toolu_fake{number}",
                    "name": tool,
                    "input": step.tool_input,
                }
            ]
            stop = "tool_use"
        return 200, {
            "id": f"msg_fake{number}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": USAGE,
        }
