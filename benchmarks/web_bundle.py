"""web_bundle_kb: the agent console's first-load JavaScript and CSS, gzipped (level 9), in KB,
against the 250 KB budget. First load is what web/dist/index.html names: its module scripts,
the chunks it preloads and its stylesheets. Measures the build of `make web`."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from pathlib import Path

from benchmarks.report import Figure
from mspdesk.local.web import WEB_DIST

BUDGET_KB = 250.0
KB = 1024


class _Assets(HTMLParser):
    """The same-origin scripts and stylesheets a page loads before it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        rel = (found.get("rel") or "").lower()
        if tag == "script" and found.get("src"):
            self._add(found["src"])
        elif tag == "link" and rel in ("stylesheet", "modulepreload") and found.get("href"):
            self._add(found["href"])

    def _add(self, url: str | None) -> None:
        if url and url.startswith("/") and not url.startswith("//") and url not in self.paths:
            self.paths.append(url)


def first_load_paths(index_html: str) -> list[str]:
    parser = _Assets()
    parser.feed(index_html)
    return parser.paths


def first_load_gzip_kb(dist: Path) -> float:
    index = dist / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{index} is missing: run `make web` first")
    paths = first_load_paths(index.read_text())
    if not any(p.endswith(".js") for p in paths):
        raise ValueError(f"{index} loads no script: is it the built page?")
    total = sum(
        len(gzip.compress((dist / p.lstrip("/")).read_bytes(), compresslevel=9)) for p in paths
    )
    return total / KB


def run(quick: bool) -> list[Figure]:
    # Sizes are exact: quick and full runs measure the same thing.
    kb = first_load_gzip_kb(WEB_DIST)
    return [Figure("web_bundle_kb", round(kb, 2), "KB", BUDGET_KB, "ratio <= 1")]
