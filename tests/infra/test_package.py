"""`make package` without the network: pip is replaced by a stand-in that writes what
`pip install --target` writes (a package and its .dist-info with RECORD)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from infra import package
from infra.layout import BUILD_MANIFEST, REPO, Layout

pytestmark = pytest.mark.infra

PYPROJECT = """
[project]
name = "mspdesk"
dependencies = ["pydantic>=2.9", "boto3>=1.35"]

[project.optional-dependencies]
api = ["fastapi>=0.115", "mangum>=0.19"]
local = ["uvicorn>=0.30", "mspdesk[api]"]
dev = ["mspdesk[local,api]", "pytest>=8"]
"""
# What each stand-in requirement pulls in, as pip resolves it.
DEPENDS = {"fastapi": ["fastapi", "starlette", "pydantic"], "mangum": ["mangum"]}


class FakePip:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], Path, Path]] = []

    def __call__(self, requirements: Sequence[str], target: Path, constraints: Path) -> None:
        self.calls.append((list(requirements), target, constraints))
        for requirement in requirements:
            name = re.split(r"[<>=\[ ]", requirement)[0]
            for dist in DEPENDS.get(name, [name]):
                self._install(dist, target)

    @staticmethod
    def _install(name: str, target: Path) -> None:
        (target / name).mkdir(parents=True, exist_ok=True)
        (target / name / "__init__.py").write_text(f"NAME = {name!r}\n")
        info = target / f"{name}-1.0.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        records = [f"{name}/__init__.py,,", f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
        (info / "RECORD").write_text("\n".join(records) + "\n")
        (target / "bin").mkdir(exist_ok=True)
        (target / "bin" / name).write_text("#!/usr/bin/python\n")


def checkout(root: Path) -> Layout:
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "constraints.txt").write_text("pydantic==2.14.3\n")
    (root / "shared" / "mspdesk" / "store").mkdir(parents=True)
    (root / "shared" / "mspdesk" / "__init__.py").write_text("")
    (root / "shared" / "mspdesk" / "store" / "table.py").write_text("PK = 'pk'\n")
    (root / "functions" / "notes").mkdir(parents=True)
    (root / "functions" / "notes" / "README.md").write_text("no handler yet\n")
    (root / "functions" / "__init__.py").write_text("")
    for name in ("api", "sla_monitor"):
        (root / "functions" / name).mkdir()
        (root / "functions" / name / "__init__.py").write_text("")
        (root / "functions" / name / "handler.py").write_text("def handler(e, c): ...\n")
    return Layout(root)


@pytest.fixture
def built(tmp_path: Path) -> tuple[Layout, FakePip]:
    layout = checkout(tmp_path)
    pip = FakePip()
    package.build(layout, install=pip)
    return layout, pip


def test_layer_gets_the_project_dependencies_and_the_library(
    built: tuple[Layout, FakePip],
) -> None:
    layout, pip = built
    layer = layout.layer_build / "python"
    assert pip.calls[0] == (
        ["pydantic>=2.9", "boto3>=1.35"],
        layer,
        layout.root / "constraints.txt",
    )
    assert (layer / "mspdesk" / "store" / "table.py").is_file()
    assert (layer / "pydantic" / "__init__.py").is_file()


def test_api_function_gets_its_extra_without_what_the_layer_has(
    built: tuple[Layout, FakePip],
) -> None:
    layout, pip = built
    api = layout.function_build("api")
    assert (["fastapi>=0.115", "mangum>=0.19"], api) in [(r, t) for r, t, _ in pip.calls]
    assert (api / "functions" / "__init__.py").is_file()
    assert (api / "functions" / "api" / "handler.py").is_file()
    assert (api / "fastapi").is_dir()
    assert (api / "starlette").is_dir()
    assert not (api / "pydantic").exists()
    assert not list(api.glob("pydantic-*.dist-info"))


def test_function_without_an_extra_gets_only_its_own_folder(
    built: tuple[Layout, FakePip],
) -> None:
    layout, pip = built
    folder = layout.function_build("sla_monitor")
    assert all(target != folder for _, target, _ in pip.calls)
    sources = sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*.py") if "__pycache__" not in p.parts
    )
    assert sources == [
        "functions/__init__.py",
        "functions/sla_monitor/__init__.py",
        "functions/sla_monitor/handler.py",
    ]


def test_folders_without_a_handler_are_not_packaged(built: tuple[Layout, FakePip]) -> None:
    layout, _ = built
    assert not layout.function_build("notes").exists()


def test_console_scripts_are_left_out(built: tuple[Layout, FakePip]) -> None:
    layout, _ = built
    assert not (layout.layer_build / "python" / "bin").exists()
    assert not (layout.function_build("api") / "bin").exists()


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="bytecode for CPython 3.11 only")
def test_bytecode_is_compiled_for_lambda_to_trust_without_the_source_timestamp(
    built: tuple[Layout, FakePip],
) -> None:
    layout, _ = built
    pyc = layout.function_build("api") / "functions" / "api" / "__pycache__"
    (compiled,) = pyc.glob("handler.cpython-311.pyc")
    flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, unchecked


def test_manifest_records_the_digest_of_the_packaged_sources(
    built: tuple[Layout, FakePip],
) -> None:
    layout, _ = built
    manifest = json.loads((layout.build / BUILD_MANIFEST).read_text())
    assert manifest["sources_digest"] == layout.sources_digest()
    assert manifest["functions"] == ["api", "sla_monitor"]


def test_a_new_package_starts_from_an_empty_build(tmp_path: Path) -> None:
    layout = checkout(tmp_path)
    (layout.build / "functions" / "gone").mkdir(parents=True)
    package.build(layout, install=FakePip())
    assert not (layout.build / "functions" / "gone").exists()


def test_extras_naming_other_extras_are_expanded(tmp_path: Path) -> None:
    layout = checkout(tmp_path)
    assert package.function_requirements(layout, "dev") == [
        "uvicorn>=0.30",
        "fastapi>=0.115",
        "mangum>=0.19",
        "pytest>=8",
    ]


def test_the_repository_api_extra_is_what_the_api_function_gets() -> None:
    with (REPO / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    layout = Layout(REPO)
    assert package.runtime_requirements(layout) == project["dependencies"]
    assert package.function_requirements(layout, "api") == project["optional-dependencies"]["api"]
    assert package.function_requirements(layout, "sla_monitor") == []


def test_pip_fetches_wheels_for_the_lambda_platform(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[list[str]] = []

    def run(command: list[str], **kwargs: Any) -> None:
        seen.append(command)

    monkeypatch.setattr(subprocess, "run", run)
    package.pip_install(["pydantic>=2.9"], tmp_path, tmp_path / "constraints.txt")
    (command,) = seen
    joined = " ".join(command)
    assert "--platform manylinux2014_x86_64" in joined
    assert "--python-version 3.11" in joined
    assert "--implementation cp" in joined
    assert "--only-binary=:all:" in command
    assert f"--target {tmp_path}" in joined
    assert f"--constraint {tmp_path / 'constraints.txt'}" in joined
    assert command[-1] == "pydantic>=2.9"


def test_removing_a_distribution_never_touches_files_outside_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "target"
    FakePip._install("pydantic", target)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    record = target / "pydantic-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "../outside.txt,,\n")
    assert package.remove_distributions(target, ["pydantic"]) == ["pydantic"]
    assert outside.read_text() == "keep"
    assert not (target / "pydantic").exists()
    assert not (target / "pydantic-1.0.dist-info").exists()
