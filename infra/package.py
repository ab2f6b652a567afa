"""`make package`: the Lambda layer and the function folders in build/, without Docker.

build/layer/python/          the runtime dependencies of pyproject.toml and the mspdesk library
build/functions/<name>/      functions/__init__.py, functions/<name>/ and the function's own
                             dependencies: the extra of pyproject.toml named after the function
                             (the `api` extra for the api function), minus what the layer has

Wheels are fetched for the Lambda platform (manylinux2014 x86_64, CPython 3.11) whatever the
machine, so no container is needed. Everything is compiled to bytecode that Lambda trusts
without checking source timestamps: /var/task is read-only, so a module without its .pyc is
compiled again at every cold start.
"""

from __future__ import annotations

import argparse
import compileall
import json
import py_compile
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from infra.layout import BUILD_MANIFEST, IGNORED, Layout

PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.11"
PROJECT = "mspdesk"

# install(requirements, target folder, constraints file)
Installer = Callable[[Sequence[str], Path, Path], None]

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def pip_install(requirements: Sequence[str], target: Path, constraints: Path) -> None:
    """Wheels for the Lambda platform, pinned by constraints.txt (needs the package index)."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--constraint",
        str(constraints),
        *requirements,
    ]
    subprocess.run(command, check=True)  # noqa: S603 - a fixed argv, no shell


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project(layout: Layout) -> dict[str, Any]:
    with (layout.root / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
    return project


def runtime_requirements(layout: Layout) -> list[str]:
    """[project.dependencies]: what every function needs, shipped in the layer."""
    return [str(r) for r in _project(layout).get("dependencies", [])]


def function_requirements(layout: Layout, function: str) -> list[str]:
    """The extra named after the function, with references to other extras of the project
    expanded (a bare reference to the project itself is the layer: nothing to add)."""
    extras: dict[str, list[str]] = _project(layout).get("optional-dependencies", {})
    found: list[str] = []

    def expand(extra: str, seen: frozenset[str]) -> None:
        for requirement in extras.get(extra, []):
            match = _REQUIREMENT.match(requirement)
            if match and canonical(match.group(1)) == PROJECT:
                for inner in (match.group(2) or "").split(","):
                    if inner.strip() and inner.strip() not in seen:
                        expand(inner.strip(), seen | {inner.strip()})
            elif requirement not in found:
                found.append(requirement)

    expand(function, frozenset({function}))
    return found


def distributions(folder: Path) -> dict[str, metadata.Distribution]:
    return {
        canonical(dist.metadata["Name"]): dist
        for dist in metadata.distributions(path=[str(folder)])
        if dist.metadata["Name"]
    }


def remove_distributions(folder: Path, names: Iterable[str]) -> list[str]:
    """Remove the installed distributions `names` from a `pip --target` folder."""
    folder = folder.resolve()
    installed = distributions(folder)
    removed = []
    for name in sorted(set(names) & installed.keys()):
        dist = installed[name]
        for file in dist.files or ():
            path = (folder / file).resolve()
            # RECORD may point outside the folder (console scripts): never touch those.
            # RECORD lists the .dist-info files too: the folder goes with the pruning below.
            if path.is_relative_to(folder) and path.is_file():
                path.unlink()
        removed.append(name)
    _prune_empty_folders(folder)
    return removed


def _prune_empty_folders(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED), dirs_exist_ok=True)


def _compile(folder: Path) -> None:
    # Bytecode is specific to the interpreter's minor version: only the Lambda runtime's.
    if sys.version_info[:2] != tuple(int(p) for p in PYTHON_VERSION.split(".")):
        return
    compileall.compile_dir(
        folder,
        quiet=2,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


def build(layout: Layout, install: Installer = pip_install) -> None:
    constraints = layout.root / "constraints.txt"
    shutil.rmtree(layout.build, ignore_errors=True)

    layer = layout.layer_build / "python"
    layer.mkdir(parents=True)
    install(runtime_requirements(layout), layer, constraints)
    _copy_tree(layout.shared / PROJECT, layer / PROJECT)
    in_layer = distributions(layer).keys()

    for name in layout.function_names():
        target = layout.function_build(name)
        target.mkdir(parents=True)
        requirements = function_requirements(layout, name)
        if requirements:
            install(requirements, target, constraints)
            # Lambda puts the function's folder before the layer on sys.path: a second copy
            # would only add size.
            remove_distributions(target, in_layer)
        # functions/__init__.py too, so that the handler path functions.<name>.handler resolves.
        _copy_tree(layout.functions / name, target / "functions" / name)
        shutil.copy2(layout.functions / "__init__.py", target / "functions" / "__init__.py")

    for folder in (layer, *(layout.function_build(n) for n in layout.function_names())):
        # Console scripts point at this machine's interpreter: of no use in Lambda.
        shutil.rmtree(folder / "bin", ignore_errors=True)
        _compile(folder)

    manifest = {
        "sources_digest": layout.sources_digest(),
        "platform": PLATFORM,
        "python_version": PYTHON_VERSION,
        "functions": layout.function_names(),
    }
    (layout.build / BUILD_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _size(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return f"{total / 1_048_576:.1f} MiB"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--root", type=Path, default=Layout().root, help="the repository")
    args = parser.parse_args(argv)
    layout = Layout(args.root.resolve())
    build(layout)
    print(f"layer: {_size(layout.layer_build)} in {layout.layer_build}")
    for name in layout.function_names():
        folder = layout.function_build(name)
        print(f"function {name}: {_size(folder)} in {folder}")


if __name__ == "__main__":
    main()
