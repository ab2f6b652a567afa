"""Import time of a handler module, measured inside fresh interpreters started as Lambda starts
them: the function's settings and credentials in the environment, no network."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from benchmarks.report import REPO

# Lambda's runtime puts the role's credentials in the environment; without them boto3 would
# look for credentials on the instance metadata endpoint, which the guard below refuses.
LAMBDA_ENV = {
    "AWS_REGION": "eu-west-2",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "MSPDESK_TABLE_NAME": "mspdesk",
    "MSPDESK_EVENT_BUS_NAME": "mspdesk",
}

# A module that opens a connection at import fails the figure instead of timing the network.
_PROBE = """\
import socket, time
def _refuse(self, address):
    raise RuntimeError(f"network at import time: {address!r}")
socket.socket.connect = socket.socket.connect_ex = _refuse
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MSPDESK_", "PYTHON"))}
    env.update(LAMBDA_ENV)
    env["PYTHONPATH"] = os.pathsep.join((str(REPO), str(REPO / "shared")))
    # Compiled bytecode is kept under .local/, not beside the sources: the figure is import
    # time, not compile time, and the tree stays free of __pycache__.
    env["PYTHONPYCACHEPREFIX"] = str(REPO / ".local" / "pycache")
    return env


def import_seconds(module: str, env: dict[str, str]) -> float:
    """Seconds to import `module` in a fresh interpreter, measured inside it."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("{module}", module)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{done.stderr.strip()}")
    return float(done.stdout.strip().splitlines()[-1])


def median_import_seconds(modules: tuple[str, ...], runs: int) -> dict[str, float]:
    """The median of `runs` fresh imports of each module, after one warm-up each (which also
    fills the bytecode cache). Runs alternate between modules so that both see the same noise."""
    env = environment()
    for module in modules:
        import_seconds(module, env)
    samples: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(runs):
        for module in modules:
            samples[module].append(import_seconds(module, env))
    return {m: statistics.median(s) for m, s in samples.items()}
