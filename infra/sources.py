"""Where the Lambda code comes from: build/ when `make package` has filled it, else a staging
of the source folders so that tests and a quick synth need neither the network nor Docker.

Assets staged from source carry no third-party dependencies: fine for synth and tests, not for
a deployment, which is why the stack warns about them.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from infra.layout import BUILD_MANIFEST, HANDLER_FILE, IGNORED, Layout

_IGNORE = shutil.ignore_patterns(*IGNORED)


class LambdaSources:
    def __init__(self, layout: Layout, packaged: bool) -> None:
        self.layout = layout
        self.packaged = packaged
        self._staging: Path | None = None

    @classmethod
    def discover(cls, layout: Layout | None = None) -> LambdaSources:
        """build/ when `make package` completed there, else the source folders."""
        layout = layout or Layout()
        return cls(layout, packaged=(layout.build / BUILD_MANIFEST).is_file())

    @classmethod
    def from_source(cls, layout: Layout | None = None) -> LambdaSources:
        return cls(layout or Layout(), packaged=False)

    def layer_code(self) -> lambda_.Code:
        if self.packaged:
            return lambda_.Code.from_asset(str(self._packaged(self.layout.layer_build)))
        target = self._stage("layer") / "python" / "mspdesk"
        if not target.exists():
            shutil.copytree(self.layout.shared / "mspdesk", target, ignore=_IGNORE)
        return lambda_.Code.from_asset(str(target.parents[1]))

    def function_code(self, name: str) -> lambda_.Code:
        source = self.layout.functions / name
        if not (source / HANDLER_FILE).is_file():
            raise ValueError(f"function {name!r} has no functions/{name}/{HANDLER_FILE}")
        if self.packaged:
            return lambda_.Code.from_asset(str(self._packaged(self.layout.function_build(name))))
        root = self._stage("functions") / name
        if not root.exists():
            # The same shape as build/functions/<name>/ so the handler path resolves alike.
            shutil.copytree(source, root / "functions" / name, ignore=_IGNORE)
            shutil.copy2(self.layout.functions / "__init__.py", root / "functions" / "__init__.py")
        return lambda_.Code.from_asset(str(root))

    def warnings(self) -> list[str]:
        """What a deployment of these assets should know before it goes ahead."""
        if not self.packaged:
            return [
                "Lambda assets come from the source folders without their dependencies "
                "(no build/): run `make package` before deploying."
            ]
        manifest = json.loads((self.layout.build / BUILD_MANIFEST).read_text())
        if manifest.get("sources_digest") != self.layout.sources_digest():
            return [
                "build/ is older than the sources it was packaged from: run `make package` "
                "before deploying."
            ]
        return []

    def _packaged(self, folder: Path) -> Path:
        if not folder.is_dir():
            raise ValueError(f"{folder} is missing: run `make package` again")
        return folder

    def _stage(self, kind: str) -> Path:
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix="mspdesk-cdk-"))
            # The CDK copies each asset into the cloud assembly: the staging can go at exit.
            atexit.register(shutil.rmtree, self._staging, ignore_errors=True)
        return self._staging / kind
