"""Where the sources and the packaged Lambda assets live. No CDK import here: `make package`
uses this module too and should not pay for loading the CDK."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HANDLER_FILE = "handler.py"
# Written by `make package`: the digest of the sources it packaged, to detect a stale build/.
BUILD_MANIFEST = "manifest.json"
# Neither ships to Lambda nor changes what does.
IGNORED = ("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".pytest_cache")


@dataclass(frozen=True)
class Layout:
    """The folders of one checkout: the sources and the build/ that `make package` fills."""

    root: Path = REPO

    @property
    def shared(self) -> Path:
        """The folder that holds the `mspdesk` package (the layer's content)."""
        return self.root / "shared"

    @property
    def functions(self) -> Path:
        return self.root / "functions"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def layer_build(self) -> Path:
        """build/layer/: its python/ folder is what Lambda puts on sys.path from a layer."""
        return self.build / "layer"

    def function_build(self, name: str) -> Path:
        """build/functions/<name>/: functions/<name>/ and the function's own dependencies."""
        return self.build / "functions" / name

    def function_names(self) -> list[str]:
        """Every folder under functions/ with a handler: the functions there are to package."""
        return sorted(
            path.parent.name for path in self.functions.glob(f"*/{HANDLER_FILE}") if path.is_file()
        )

    def source_files(self) -> Iterator[Path]:
        """The files whose content the Lambda assets are built from."""
        yield self.root / "pyproject.toml"
        yield self.root / "constraints.txt"
        for folder in (self.shared / "mspdesk", self.functions):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not _ignored(path.relative_to(self.root)):
                    yield path

    def sources_digest(self) -> str:
        digest = hashlib.sha256()
        for path in self.source_files():
            if path.exists():
                digest.update(str(path.relative_to(self.root)).encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()


def _ignored(relative: Path) -> bool:
    hidden_or_cache = any(p == "__pycache__" or p.startswith(".") for p in relative.parts)
    return hidden_or_cache or relative.suffix in (".pyc", ".pyo")
