"""The local stack for the benchmarks that need AWS: moto's server on a free port with the
table built from the shared definition, and the API served by uvicorn in a thread."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mspdesk.config import Settings
from mspdesk.local.stack import REGION, free_port
from mspdesk.runtime import aws_client
from mspdesk.store.table import create_table


@contextmanager
def moto_settings(table_name: str) -> Iterator[Settings]:
    """A moto server with the desk's table created, and the settings that point at it."""
    from moto.server import ThreadedMotoServer

    from mspdesk.local import moto_fixes

    moto_fixes.apply()  # as the local stack runs it
    # moto accepts any key; these also keep boto3 off the instance metadata endpoint.
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - a placeholder moto accepts
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    # werkzeug logs every request to stderr whatever moto's `verbose` says; that would be
    # thousands of lines, and time spent under the GIL that the API and GetItem share.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        settings = Settings(
            table_name=table_name,
            aws_endpoint_url=f"http://127.0.0.1:{port}",
            local_mode=True,
            dev_token_secret=secrets.token_urlsafe(32),
        )
        create_table(aws_client("dynamodb", settings), table_name)
        yield settings
    finally:
        server.stop()


@contextmanager
def serve(app: Any, startup_seconds: float = 30.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free 127.0.0.1 port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_seconds
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
