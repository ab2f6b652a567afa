"""The local server's rules for the web app: each app's pages, cache headers, and never a page
where the API answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from functions.api import errors
from mspdesk.local.web import WEB_DIST, mount_web

CONSOLE = "<!doctype html><title>console</title>"
PORTAL = "<!doctype html><title>portal</title>"


def _api() -> FastAPI:
    """An app shaped like the API: its prefixes, its docs and its JSON errors."""
    app = FastAPI(openapi_url="/openapi.json", docs_url="/docs")
    errors.install(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/tickets")
    def queue() -> dict[str, list[int]]:
        return {"items": []}

    @app.post("/api/tickets")
    def create() -> dict[str, int]:
        return {"number": 1}

    @app.get("/portal/api/me")
    def me() -> dict[str, str]:
        return {"name": "Ben"}

    return app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "portal").mkdir()
    (tmp_path / "index.html").write_text(CONSOLE)
    (tmp_path / "portal" / "index.html").write_text(PORTAL)
    (tmp_path / "assets" / "console-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("outside dist")
    return tmp_path


@pytest.fixture
def client(dist: Path) -> TestClient:
    app = _api()
    mount_web(app, dist)
    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/tickets/123", "/admin/clients", "/tickets/9?x=1"])
def test_console_routes_answer_the_console_page_uncached(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == CONSOLE
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path", ["/portal/", "/portal/tickets/42", "/portal/new", "/portal/harbour/tickets/7"]
)
def test_portal_routes_answer_the_portal_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.text == PORTAL
    assert response.headers["cache-control"] == "no-cache"


def test_portal_without_its_slash_is_redirected(client: TestClient) -> None:
    response = client.get("/portal", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/portal/"


def test_hashed_assets_are_cached_for_a_year(client: TestClient) -> None:
    response = client.get("/assets/console-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in response.headers["content-type"]


def test_other_files_are_served_with_a_short_cache(client: TestClient) -> None:
    response = client.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("path", ["/assets/gone-123.js", "/missing.png", "/portal/logo.png"])
def test_missing_files_are_404_not_a_page(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_no_file_outside_dist_is_served(client: TestClient) -> None:
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        response = client.get(path)
        assert "outside dist" not in response.text


def test_the_api_is_never_shadowed(client: TestClient) -> None:
    assert client.get("/api/tickets").json() == {"items": []}
    assert client.post("/api/tickets").json() == {"number": 1}
    assert client.get("/portal/api/me").json() == {"name": "Ben"}
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/openapi.json").json()["paths"]
    assert "swagger" in client.get("/docs").text.lower()


@pytest.mark.parametrize(
    "path",
    ["/api/nope", "/api", "/portal/api/nope", "/health/x", "/docs/x", "/openapi.json/x", "/cti/x"],
)
def test_unknown_api_paths_get_the_api_json_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_wrong_method_on_an_api_route_is_still_405(client: TestClient) -> None:
    assert client.delete("/api/tickets").status_code == 405


def test_pages_refuse_writes(client: TestClient) -> None:
    response = client.post("/tickets/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_head_of_a_page_has_no_body(client: TestClient) -> None:
    response = client.head("/tickets/1")
    assert response.status_code == 200
    assert response.content == b""


def test_local_config_says_dev_sign_in(client: TestClient) -> None:
    response = client.get("/config.json")
    assert response.json() == {"auth": "dev"}
    assert response.headers["cache-control"] == "no-cache"


def test_without_a_build_a_page_says_to_run_make_web(tmp_path: Path) -> None:
    app = _api()
    mount_web(app, tmp_path / "dist")
    client = TestClient(app)
    response = client.get("/tickets/5")
    assert response.status_code == 503
    assert "make web" in response.text
    assert client.get("/config.json").json() == {"auth": "dev"}
    assert client.get("/api/tickets").json() == {"items": []}


def test_the_build_is_looked_for_in_web_dist() -> None:
    assert WEB_DIST.parts[-2:] == ("web", "dist")
    assert (WEB_DIST.parent / "package.json").is_file()
