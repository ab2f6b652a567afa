"""The entry point `python -m infra.app` (what `make synth` and cdk.json run), for production."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from infra import app as entry_point
from infra.config import StageConfig
from infra.layout import REPO
from infra.sources import LambdaSources

pytestmark = pytest.mark.infra

STACK = "mspdesk-prod-eu-west-1"


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    with pytest.MonkeyPatch.context() as patch:
        # The sources whatever build/ holds: the test must not depend on `make package`.
        patch.setattr(
            LambdaSources, "discover", classmethod(lambda cls, layout=None: cls.from_source())
        )
        entry_point.main(["-c", "stage=prod", "-c", "region=eu-west-1", "-o", str(outdir)])
    return outdir


def resources(prod: Path, cfn_type: str) -> list[dict[str, Any]]:
    template = json.loads((prod / f"{STACK}.template.json").read_text())
    return [r for r in template["Resources"].values() if r["Type"] == cfn_type]


def test_main_writes_the_stage_and_region_stack_into_the_output_folder(prod: Path) -> None:
    manifest = json.loads((prod / "manifest.json").read_text())
    stack = manifest["artifacts"][STACK]
    assert stack["environment"].endswith("/eu-west-1")
    assert stack["properties"]["terminationProtection"] is True


def test_prod_keeps_its_data_when_the_stack_goes(prod: Path) -> None:
    (table,) = resources(prod, "AWS::DynamoDB::Table")
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    (key,) = resources(prod, "AWS::KMS::Key")
    assert key["DeletionPolicy"] == "Retain"
    (pool,) = resources(prod, "AWS::Cognito::UserPool")
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_prod_names_follow_the_stage(prod: Path) -> None:
    (bus,) = resources(prod, "AWS::Events::EventBus")
    assert bus["Properties"]["Name"] == "mspdesk-prod"
    # The desk's functions (the CDK's web deployment handler, index.handler, is unnamed).
    names = {
        f["Properties"]["FunctionName"]
        for f in resources(prod, "AWS::Lambda::Function")
        if f["Properties"]["Handler"].startswith("functions.")
    }
    assert all(name.startswith("mspdesk-prod-") for name in names)
    assert {"mspdesk-prod-api", "mspdesk-prod-sla-monitor", "mspdesk-prod-time-billing"} <= names


def test_prod_leaves_no_cdk_nag_finding(prod: Path) -> None:
    report = json.loads((prod / "validation-report.json").read_text())
    assert [r for r in report["pluginReports"] if r["violations"]] == []


def test_context_defaults_to_the_dev_stage_in_london(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI's profile does not change the stack: the command line alone does.
    monkeypatch.setenv("CDK_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    config = StageConfig.from_context(App().node)
    assert (config.stage, config.region, config.account) == ("dev", "eu-west-2", None)
    assert not config.is_prod


def test_context_picks_stage_region_and_account() -> None:
    app = App(context={"stage": "prod", "region": "eu-west-1", "account": "123456789012"})
    config = StageConfig.from_context(app.node)
    assert (config.stage, config.region, config.account) == ("prod", "eu-west-1", "123456789012")
    assert config.is_prod


@pytest.mark.parametrize("stage", ["Prod", "a b", "", "x" * 17, "1dev"])
def test_stage_names_unfit_for_resource_names_are_refused(stage: str) -> None:
    with pytest.raises(ValueError, match="stage"):
        StageConfig(stage=stage)


def test_cdk_json_runs_the_app_module_with_the_project_venv() -> None:
    command = shlex.split(json.loads((REPO / "cdk.json").read_text())["app"])
    assert command[0] == ".venv/bin/python"
    assert command[1:] == ["-m", "infra.app"]
