"""The event rules follow the route table: synthesized here with a table that has entries,
over a functions/ folder of stand-in handlers (the real consumers land with their issues)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from infra.app import build_app
from infra.layout import Layout
from infra.sources import LambdaSources
from mspdesk.domain.events import SOURCE
from tests.infra.support import Synth, arn_of, synth

pytestmark = pytest.mark.infra

ROUTES = {
    "TicketCreated": ("reports", "sla_monitor"),
    "TicketUpdated": ("sla_monitor",),
    "CallEnded": ("reports",),
}


# Every function the real stack defines has a handler; the stand-in repo needs one for each.
REAL_FUNCTIONS = sorted(
    p.parent.name for p in (Path(__file__).resolve().parents[2] / "functions").glob("*/handler.py")
)


def stand_in_repo(root: Path, functions: list[str]) -> Layout:
    """The real shared/ library beside a functions/ folder of stand-in handlers."""
    layout = Layout(root)
    shutil.copytree(Layout().shared / "mspdesk", root / "shared" / "mspdesk")
    (root / "functions").mkdir()
    (root / "functions" / "__init__.py").write_text("")
    for name in functions:
        (root / "functions" / name).mkdir()
        (root / "functions" / name / "__init__.py").write_text("")
        (root / "functions" / name / "handler.py").write_text(
            "def handler(event, context):\n    return None\n"
        )
    return layout


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    layout = stand_in_repo(tmp_path_factory.mktemp("repo"), [*REAL_FUNCTIONS, "reports"])
    return synth(
        tmp_path_factory.mktemp("cdk.out"),
        context={"stage": "dev", "region": "eu-west-2"},
        layout=layout,
        routes=ROUTES,
    )


def bus_rules(routed: Synth) -> dict[str, dict[str, Any]]:
    return {
        logical_id: rule["Properties"]
        for logical_id, rule in routed.resources("AWS::Events::Rule").items()
        if "EventBusName" in rule["Properties"]
    }


def rule_for(routed: Synth, function_id: str) -> dict[str, Any]:
    for props in bus_rules(routed).values():
        if props["Targets"][0]["Arn"] == arn_of(function_id):
            return props
    raise AssertionError(f"no rule targets {function_id}")


def test_one_rule_per_consumer_on_the_desk_bus(routed: Synth) -> None:
    bus_id, _ = routed.one("AWS::Events::EventBus")
    rules = bus_rules(routed)
    assert len(rules) == 2
    assert all(props["EventBusName"] == {"Ref": bus_id} for props in rules.values())


def test_rule_matches_every_event_type_routed_to_its_consumer(routed: Synth) -> None:
    reports_id, _ = routed.function("functions.reports.handler.handler")
    sla_id, _ = routed.function("functions.sla_monitor.handler.handler")
    assert rule_for(routed, reports_id)["EventPattern"] == {
        "source": [SOURCE],
        "detail-type": ["CallEnded", "TicketCreated"],
    }
    assert rule_for(routed, sla_id)["EventPattern"] == {
        "source": [SOURCE],
        "detail-type": ["TicketCreated", "TicketUpdated"],
    }


def test_a_new_consumer_gets_its_own_function_with_a_dead_letter_queue(routed: Synth) -> None:
    reports_id, reports = routed.function("functions.reports.handler.handler")
    queue_id = reports["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    target = rule_for(routed, reports_id)["Targets"][0]
    assert target["DeadLetterConfig"] == {"Arn": arn_of(queue_id)}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert reports["Properties"]["Runtime"] == "python3.11"


def test_a_scheduled_function_that_also_consumes_events_is_defined_once(routed: Synth) -> None:
    handlers = [
        f["Properties"]["Handler"] for f in routed.resources("AWS::Lambda::Function").values()
    ]
    assert len(handlers) == len(set(handlers))
    assert {
        "functions.api.handler.handler",
        "functions.sla_monitor.handler.handler",
        "functions.reports.handler.handler",
    } <= set(handlers)
    sla_id, _ = routed.function("functions.sla_monitor.handler.handler")
    targeting = [
        rule
        for rule in routed.resources("AWS::Events::Rule").values()
        if rule["Properties"]["Targets"][0]["Arn"] == arn_of(sla_id)
    ]
    assert len(targeting) == 2  # the schedule and the route


def test_routed_stack_leaves_no_cdk_nag_finding(routed: Synth) -> None:
    assert [r for r in routed.validation_report()["pluginReports"] if r["violations"]] == []


def test_a_consumer_without_a_handler_is_refused(tmp_path: Path) -> None:
    layout = stand_in_repo(tmp_path, [f for f in REAL_FUNCTIONS if f != "reports"])
    with pytest.raises(ValueError, match=r"functions/reports/handler\.py"):
        build_app(
            outdir=str(tmp_path / "cdk.out"),
            sources=LambdaSources.from_source(layout),
            routes={"TicketCreated": ("reports",)},
        )


def test_the_synchronous_api_cannot_consume_events(tmp_path: Path) -> None:
    layout = stand_in_repo(tmp_path, [f for f in REAL_FUNCTIONS if f != "reports"])
    with pytest.raises(ValueError, match="synchronous"):
        build_app(
            outdir=str(tmp_path / "cdk.out"),
            sources=LambdaSources.from_source(layout),
            routes={"TicketCreated": ("api",)},
        )
