"""Helpers of the CDK tests: synthesize once per module, from the source folders, offline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.layout import Layout
from infra.sources import LambdaSources
from infra.stack import MspdeskStack
from mspdesk.routes import ROUTES


@dataclass
class Synth:
    app: App
    stack: MspdeskStack
    template: Template
    outdir: Path

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.template.find_resources(cfn_type)
        return found

    def one(self, cfn_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(cfn_type)
        assert len(found) == 1, f"{len(found)} {cfn_type}"
        return next(iter(found.items()))

    def function(self, handler: str) -> tuple[str, dict[str, Any]]:
        for logical_id, resource in self.resources("AWS::Lambda::Function").items():
            if resource["Properties"]["Handler"] == handler:
                return logical_id, resource
        raise AssertionError(f"no function with handler {handler}")

    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report


def synth(
    outdir: Path,
    *,
    context: Mapping[str, str] | None = None,
    layout: Layout | None = None,
    routes: Mapping[str, tuple[str, ...]] = ROUTES,
) -> Synth:
    """The app as `python -m infra.app` builds it, cdk-nag included, with assets staged from
    the source folders whatever build/ holds: no network, no Docker."""
    app, stack = build_app(
        context=context,
        outdir=str(outdir),
        sources=LambdaSources.from_source(layout),
        routes=routes,
    )
    # Fails with cdk-nag's report if an unacknowledged error remains.
    app.synth()
    return Synth(app, stack, Template.from_stack(stack), outdir)


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}
