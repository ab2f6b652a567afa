"""The built web app (web/dist) served by the local API server, as CloudFront serves it in AWS:
the agent console at `/`, the portal at `/portal/`, each single-page app's own routes answered
with its index.html, hashed assets cached for a year and the index pages never.

The web app is the router's fallback (Starlette's `Router.default`), not a route: it answers
only what no route matched, so it can never shadow the API, whenever a route is added, and an
unknown API path still gets the API's own JSON 404.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

# Where `make web` builds the app: web/dist at the top of the repository.
WEB_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"
# Paths of the API and its documentation: a miss under them is the API's 404, never a page.
API_PREFIXES = ("/api", "/portal/api", "/health", "/openapi.json", "/docs", "/cti")
PORTAL = "/portal"
# What the web app reads at start; in AWS the deployment writes it beside the app.
LOCAL_CONFIG = {"auth": "dev"}

IMMUTABLE = "public, max-age=31536000, immutable"  # Vite puts a content hash in these names
NO_CACHE = "no-cache"
OTHER_FILES = "public, max-age=300"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mspdesk: web app not built</title></head>
<body><h1>The web app is not built</h1>
<p>Run <code>make web</code> (npm ci and the Vite build into web/dist), then reload.
The API is running: <a href="/docs">/docs</a>.</p></body></html>
"""


def mount_web(app: FastAPI, dist: Path) -> None:
    """Serve the web app of `dist` (web/dist) for every GET that no route of `app` answers."""
    app.router.default = _WebApp(dist)


class _WebApp:
    def __init__(self, dist: Path) -> None:
        self._dist = dist.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        response = self._respond(scope["method"], scope["path"])
        await response(scope, receive, send)

    def _respond(self, method: str, path: str) -> Response:
        if _is_api(path):
            raise HTTPException(status_code=404)  # the app's handler answers in its JSON
        if method not in ("GET", "HEAD"):
            return PlainTextResponse(
                "Method Not Allowed", status_code=405, headers={"Allow": "GET, HEAD"}
            )
        if path == "/config.json":
            return Response(
                json.dumps(LOCAL_CONFIG),
                media_type="application/json",
                headers={"Cache-Control": NO_CACHE},
            )
        if path == PORTAL:
            return RedirectResponse(f"{PORTAL}/", status_code=308)
        if not (self._dist / "index.html").is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": NO_CACHE})
        found = self._file(path)
        if found is not None:
            return _file_response(found, found.relative_to(self._dist))
        relative = PurePosixPath(path)
        if "." in relative.name or path.startswith("/assets/"):
            raise HTTPException(status_code=404)  # a missing file is not a page of the app
        page = "portal/index.html" if path.startswith(f"{PORTAL}/") else "index.html"
        return _file_response(self._dist / page, PurePosixPath(page))

    def _file(self, path: str) -> Path | None:
        """The file of dist at `path`, never one outside it."""
        candidate = (self._dist / path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(self._dist):
            return candidate
        return None


def _is_api(path: str) -> bool:
    return any(path == prefix or path.startswith(f"{prefix}/") for prefix in API_PREFIXES)


def _file_response(file: Path, relative: PurePosixPath | Path) -> FileResponse:
    if relative.parts[:1] == ("assets",):
        cache = IMMUTABLE
    elif relative.suffix == ".html":
        cache = NO_CACHE
    else:
        cache = OTHER_FILES
    return FileResponse(file, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})
