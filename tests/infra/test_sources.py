"""Where the Lambda code comes from: build/ once `make package` completed, else the sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aws_cdk import aws_lambda as lambda_

from infra.layout import BUILD_MANIFEST, Layout
from infra.sources import LambdaSources

pytestmark = pytest.mark.infra


def checkout(root: Path, functions: tuple[str, ...] = ("api",)) -> Layout:
    (root / "shared" / "mspdesk").mkdir(parents=True)
    (root / "shared" / "mspdesk" / "__init__.py").write_text('"""lib"""\n')
    (root / "pyproject.toml").write_text("[project]\nname = 'mspdesk'\n")
    (root / "constraints.txt").write_text("")
    (root / "functions").mkdir()
    (root / "functions" / "__init__.py").write_text("")
    for name in functions:
        (root / "functions" / name).mkdir()
        (root / "functions" / name / "handler.py").write_text("def handler(e, c): ...\n")
        (root / "functions" / name / "__pycache__").mkdir()
        (root / "functions" / name / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"")
    return Layout(root)


def packaged(layout: Layout, digest: str | None = None) -> None:
    (layout.layer_build / "python" / "mspdesk").mkdir(parents=True)
    for name in layout.function_names():
        (layout.function_build(name) / "functions" / name).mkdir(parents=True)
    manifest = {"sources_digest": digest or layout.sources_digest()}
    (layout.build / BUILD_MANIFEST).write_text(json.dumps(manifest))


def asset_path(code: lambda_.Code) -> Path:
    assert isinstance(code, lambda_.AssetCode)
    return Path(code.path)


def test_sources_are_used_when_nothing_was_packaged(tmp_path: Path) -> None:
    sources = LambdaSources.discover(checkout(tmp_path))
    assert not sources.packaged
    assert any("make package" in w for w in sources.warnings())


def test_build_is_used_once_make_package_completed(tmp_path: Path) -> None:
    layout = checkout(tmp_path)
    packaged(layout)
    sources = LambdaSources.discover(layout)
    assert sources.packaged
    assert asset_path(sources.layer_code()) == layout.layer_build
    assert asset_path(sources.function_code("api")) == layout.function_build("api")
    assert sources.warnings() == []


def test_a_build_older_than_the_sources_is_reported(tmp_path: Path) -> None:
    layout = checkout(tmp_path)
    packaged(layout)
    (layout.functions / "api" / "handler.py").write_text("def handler(e, c): return 1\n")
    assert any("older than the sources" in w for w in LambdaSources.discover(layout).warnings())


def test_bytecode_caches_do_not_make_a_build_stale(tmp_path: Path) -> None:
    layout = checkout(tmp_path)
    packaged(layout)
    (layout.functions / "api" / "__pycache__" / "other.cpython-311.pyc").write_bytes(b"x")
    assert LambdaSources.discover(layout).warnings() == []


def test_a_function_missing_from_build_asks_for_make_package(tmp_path: Path) -> None:
    layout = checkout(tmp_path, ("api", "triage"))
    packaged(layout)
    shutil.rmtree(layout.function_build("triage"))
    with pytest.raises(ValueError, match="make package"):
        LambdaSources.discover(layout).function_code("triage")


def test_staged_function_has_the_handler_path_layout_and_no_bytecode(tmp_path: Path) -> None:
    sources = LambdaSources.from_source(checkout(tmp_path, ("api", "sla_monitor")))
    root = asset_path(sources.function_code("api"))
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["functions/__init__.py", "functions/api/handler.py"]


def test_staged_layer_puts_the_library_under_python(tmp_path: Path) -> None:
    sources = LambdaSources.from_source(checkout(tmp_path))
    root = asset_path(sources.layer_code())
    assert (root / "python" / "mspdesk" / "__init__.py").is_file()


def test_a_function_without_a_handler_is_refused(tmp_path: Path) -> None:
    sources = LambdaSources.from_source(checkout(tmp_path))
    with pytest.raises(ValueError, match=r"functions/triage/handler\.py"):
        sources.function_code("triage")
