"""The local stack started for real (`python -m mspdesk.local`, as `make dev` runs it) in a
subprocess, driven over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mspdesk.local.stack import free_port
from tests.conftest import REPO

STARTUP_SECONDS = 120


@dataclass
class RunningStack:
    base_url: str
    process: subprocess.Popen[str]
    state_dir: Path
    log: Path
    _tokens: dict[str, str] = field(default_factory=dict)

    def client(self, email: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token(email)}"} if email else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def token(self, email: str) -> str:
        if email not in self._tokens:
            response = httpx.post(f"{self.base_url}/api/dev/token", json={"email": email})
            response.raise_for_status()
            self._tokens[email] = response.json()["access_token"]
        return self._tokens[email]

    def accounts(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base_url}/api/dev/accounts", timeout=30)
        response.raise_for_status()
        accounts: list[dict[str, Any]] = response.json()
        return accounts

    def stop(self) -> str:
        """Stop as Ctrl-C would; returns what the stack printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text()


def start_stack(state_dir: Path, *extra: str) -> RunningStack:
    port = free_port()
    log = state_dir.parent / f"{state_dir.name}-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mspdesk.local",
                "--port",
                str(port),
                "--state-dir",
                str(state_dir),
                "--smtp-port",
                "0",
                *extra,
            ],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    stack = RunningStack(f"http://127.0.0.1:{port}", process, state_dir, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local stack exited:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{stack.base_url}/health", timeout=2).status_code == 200:
                return stack
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling for readiness, not timing anything
    stack.stop()
    raise RuntimeError(f"the local stack did not start:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack") / "state", "--fresh")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def accounts(stack: RunningStack) -> list[dict[str, Any]]:
    return stack.accounts()


@pytest.fixture(scope="session")
def admin_email(accounts: list[dict[str, Any]]) -> str:
    return next(a["email"] for a in accounts if a["role"] == "admin")


@pytest.fixture(scope="session")
def agent_emails(accounts: list[dict[str, Any]]) -> list[str]:
    return [a["email"] for a in accounts if a["role"] in ("agent", "admin")]


@pytest.fixture(scope="session")
def end_users_of_two_clients(
    accounts: list[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An end-user of one client and an end-user of another."""
    people = [a for a in accounts if a["role"] == "end-user"]
    first = people[0]
    second = next(p for p in people if p["client_id"] != first["client_id"])
    return first, second
