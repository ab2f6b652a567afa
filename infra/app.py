"""The CDK app: `python -m infra.app [-c stage=prod] [-c region=eu-west-1]` synthesizes into
cdk.out/ (the `cdk` CLI runs the same module through cdk.json and passes its own context)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment

from infra.components.events import Routes
from infra.config import StageConfig
from infra.layout import REPO
from infra.nag import add_checks
from infra.sources import LambdaSources
from infra.stack import MspdeskStack
from mspdesk.routes import ROUTES


def build_app(
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    sources: LambdaSources | None = None,
    routes: Routes = ROUTES,
    nag: bool = True,
) -> tuple[App, MspdeskStack]:
    app = App(context=dict(context or {}), outdir=outdir)
    if nag:
        add_checks(app)
    config = StageConfig.from_context(app.node)
    stack = MspdeskStack(
        app,
        config.stack_id,
        config=config,
        sources=sources or LambdaSources.discover(),
        routes=routes,
        env=Environment(account=config.account, region=config.region),
    )
    return app, stack


def _context(pairs: Sequence[str]) -> dict[str, str]:
    context = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"context {pair!r}: expected key=value")
        context[key] = value
    return context


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.app", description=__doc__)
    parser.add_argument(
        "-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="CDK context"
    )
    parser.add_argument("-o", "--output", type=Path, help="cloud assembly folder (cdk.out)")
    args = parser.parse_args(argv)
    # Under the CLI, CDK_OUTDIR and CDK_CONTEXT_JSON are set and the App reads them itself.
    outdir = args.output or (None if "CDK_OUTDIR" in os.environ else REPO / "cdk.out")
    app, _ = build_app(context=_context(args.context), outdir=str(outdir) if outdir else None)
    app.synth()


if __name__ == "__main__":
    main()
