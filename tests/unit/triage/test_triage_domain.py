"""Triage's pure rules: routing rules, the neighbours' vote, the choice of method, what is
applied, and the accuracy report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from mspdesk.domain.enums import Priority, RequestType, TicketSource, TriageMode
from mspdesk.domain.models import Agent, TriageSettings
from mspdesk.domain.triage import (
    Accuracy,
    AgentLoad,
    RoutingRule,
    TicketFacts,
    TriageMethod,
    TriageOutcome,
    TriageRecord,
    apply_rules,
    choose_method,
    decide,
    fallback_order,
    least_loaded,
    rule_matches,
    vote,
    weighted_median,
)
from mspdesk.triage.ports import IndexedTicket, Neighbour

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def agent(agent_id: str, name: str, skills: list[str], **extra: Any) -> Agent:
    return Agent(
        id=agent_id,
        name=name,
        email=f"{agent_id}@msp.example",
        skills=skills,
        team_ids=extra.pop("team_ids", ["team_desk"]),
        **extra,
    )


def rule(
    rule_id: str, order: int, conditions: dict[str, Any], actions: dict[str, Any]
) -> RoutingRule:
    return RoutingRule.model_validate(
        {
            "id": rule_id,
            "name": rule_id,
            "order": order,
            "conditions": conditions,
            "actions": actions,
        }
    )


def facts(subject: str = "Printer jammed", body: str = "Paper stuck", **extra: Any) -> TicketFacts:
    return TicketFacts(
        client_id=extra.pop("client_id", "cl_acme"),
        subject=subject,
        body=body,
        source=extra.pop("source", TicketSource.EMAIL),
        request_type=extra.pop("request_type", RequestType.INCIDENT),
        **extra,
    )


def neighbour(number: int, similarity: float, **fields: Any) -> Neighbour:
    values: dict[str, Any] = {
        "client_id": "cl_acme",
        "category_id": None,
        "priority": "P3",
        "team_id": None,
        "agent_id": None,
        "resolution_minutes": 60,
        "resolved_at": "2026-11-01T10:00:00+00:00",
        **fields,
    }
    return Neighbour(IndexedTicket(number=number, **values), similarity)


# --- routing rules ---------------------------------------------------------------------------


def test_keywords_match_whole_words_and_phrases_case_ignored() -> None:
    vpn = rule("r1", 1, {"keywords": ["VPN", "remote desktop"]}, {"team_id": "team_net"})
    assert rule_matches(vpn, facts("vpn drops every hour"), None)
    assert rule_matches(vpn, facts("Help", "my Remote   Desktop will not open"), None)
    assert not rule_matches(vpn, facts("vpnclient update"), None)  # not a whole word
    assert not rule_matches(vpn, facts("printer"), None)


def test_every_named_condition_must_hold() -> None:
    strict = rule(
        "r1",
        1,
        {
            "client_ids": ["cl_acme"],
            "request_types": ["service_request"],
            "sources": ["portal"],
            "vip_only": True,
        },
        {"priority": "P2"},
    )
    wanted = facts(source=TicketSource.PORTAL, request_type=RequestType.SERVICE_REQUEST, vip=True)
    assert rule_matches(strict, wanted, None)
    assert not rule_matches(strict, facts(source=TicketSource.PORTAL, vip=True), None)
    assert not rule_matches(
        strict,
        facts(source=TicketSource.PORTAL, request_type=RequestType.SERVICE_REQUEST, vip=False),
        None,
    )
    inactive = strict.model_copy(update={"active": False})
    assert not rule_matches(inactive, wanted, None)


def test_the_first_rule_to_set_a_field_settles_it() -> None:
    rules = [
        rule("late", 20, {}, {"team_id": "team_late", "priority": "P4"}),
        rule("early", 10, {"keywords": ["server"]}, {"team_id": "team_infra"}),
    ]
    settled = apply_rules(rules, facts("Server down"), [])
    assert settled.values == {"team_id": "team_infra", "priority": Priority.P4}
    assert settled.by_rule == {"team_id": "early", "priority": "late"}


def test_category_rules_apply_once_ai_has_chosen_the_category() -> None:
    rules = [rule("backup", 1, {"category_ids": ["cat_backup"]}, {"team_id": "team_infra"})]
    first = apply_rules(rules, facts(), [])
    assert first.values == {}
    second = apply_rules(rules, facts(), [], "cat_backup", first)
    assert second.values == {"team_id": "team_infra"}


def test_a_skill_rule_picks_the_least_loaded_available_agent_with_the_skill() -> None:
    loads = [
        AgentLoad(agent("ag_busy", "Busy", ["Exchange"]), 9),
        AgentLoad(agent("ag_free", "Free", ["exchange"]), 2),
        AgentLoad(agent("ag_away", "Away", ["Exchange"], available=False), 0),
        AgentLoad(agent("ag_gone", "Gone", ["Exchange"], active=False), 0),
        AgentLoad(agent("ag_other", "Other", ["Printers"]), 0),
    ]
    rules = [rule("mail", 1, {"keywords": ["mailbox"]}, {"required_skill": "Exchange"})]
    settled = apply_rules(rules, facts("Mailbox full"), loads)
    assert settled.values == {"agent_id": "ag_free"}


def test_a_skill_rule_stays_within_its_team_and_reports_when_nobody_fits() -> None:
    loads = [
        AgentLoad(agent("ag_a", "A", ["Exchange"], team_ids=["team_a"]), 0),
        AgentLoad(agent("ag_b", "B", ["Exchange"], team_ids=["team_b"]), 5),
    ]
    in_team = rule("t", 1, {}, {"team_id": "team_b", "required_skill": "exchange"})
    assert apply_rules([in_team], facts(), loads).values == {
        "team_id": "team_b",
        "agent_id": "ag_b",
    }
    nobody = rule("n", 1, {}, {"team_id": "team_a", "required_skill": "SAP"})
    settled = apply_rules([nobody], facts(), loads)
    assert settled.values == {"team_id": "team_a"}
    assert settled.unmet_skills == ["SAP"]


def test_least_loaded_breaks_ties_by_name() -> None:
    loads = [AgentLoad(agent("ag_2", "Zoe", []), 1), AgentLoad(agent("ag_1", "Abe", []), 1)]
    chosen = least_loaded(loads)
    assert chosen is not None and chosen.name == "Abe"


def test_a_rule_must_do_something_and_not_name_both_an_agent_and_a_skill() -> None:
    with pytest.raises(ValidationError, match="a rule sets"):
        rule("r", 1, {}, {})
    with pytest.raises(ValidationError, match="not both"):
        rule("r", 1, {}, {"agent_id": "ag_1", "required_skill": "SAP"})


# --- the vote ----------------------------------------------------------------------------------


def test_the_vote_is_weighted_by_similarity() -> None:
    neighbours = [
        neighbour(1, 0.9, category_id="cat_net", agent_id="ag_1", team_id="team_a"),
        neighbour(2, 0.5, category_id="cat_hw", agent_id="ag_2", team_id="team_a"),
        neighbour(3, 0.45, category_id="cat_hw", agent_id="ag_2", team_id="team_b"),
    ]
    result = vote(neighbours, {"ag_1", "ag_2"})
    # 0.95 of hardware beats 0.9 of network.
    assert result.fields["category_id"].value == "cat_hw"
    assert result.fields["category_id"].share == pytest.approx(0.95 / 1.85)
    assert result.fields["team_id"].value == "team_a"
    assert result.fields["agent_id"].value == "ag_2"


def test_only_active_agents_and_known_values_are_voted_for() -> None:
    neighbours = [
        neighbour(1, 0.9, category_id="cat_deleted", agent_id="ag_left"),
        neighbour(2, 0.4, category_id="cat_hw", agent_id="ag_here"),
    ]
    result = vote(neighbours, {"ag_here"}, known={"category_id": lambda v: v != "cat_deleted"})
    assert result.fields["agent_id"].value == "ag_here"
    assert result.fields["category_id"].value == "cat_hw"


def test_a_tie_goes_to_the_nearer_neighbour() -> None:
    neighbours = [neighbour(1, 0.6, category_id="cat_a"), neighbour(2, 0.6, category_id="cat_b")]
    assert vote(neighbours, set()).fields["category_id"].value == "cat_a"


def test_time_to_resolve_is_the_weighted_median() -> None:
    neighbours = [
        neighbour(1, 0.9, resolution_minutes=30),
        neighbour(2, 0.2, resolution_minutes=600),
        neighbour(3, 0.2, resolution_minutes=900),
    ]
    assert vote(neighbours, set()).estimated_minutes == 30
    assert weighted_median([(10, 1), (20, 1), (30, 1)]) == 20
    assert weighted_median([(10, 1), (20, 1)]) == 10
    assert weighted_median([]) is None


def test_confidence_falls_with_disagreement_and_with_distance() -> None:
    agree = [neighbour(i, 0.8, category_id="cat_a") for i in range(5)]
    split = [neighbour(i, 0.8, category_id=f"cat_{i % 2}") for i in range(5)]
    far = [neighbour(i, 0.2, category_id="cat_a") for i in range(5)]
    assert vote(agree, set()).confidence == 1.0
    assert vote(split, set()).confidence == pytest.approx(0.6)
    assert vote(far, set()).confidence == pytest.approx(0.4)
    assert vote([], set()).confidence == 0.0


def test_dissimilar_neighbours_do_not_vote() -> None:
    result = vote([neighbour(1, -0.3, category_id="cat_a")], set())
    assert "category_id" not in result.fields


# --- method and outcome ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "indexed", "keyed", "expected"),
    [
        (TriageMode.AUTO, 200, True, TriageMethod.VECTOR),
        (TriageMode.AUTO, 199, True, TriageMethod.LLM),
        (TriageMode.AUTO, 199, False, TriageMethod.VECTOR),
        (TriageMode.LLM, 5000, True, TriageMethod.LLM),
        (TriageMode.VECTOR, 0, True, TriageMethod.VECTOR),
    ],
)
def test_the_method_follows_the_msps_mode(
    mode: TriageMode, indexed: int, keyed: bool, expected: TriageMethod
) -> None:
    assert choose_method(TriageSettings(mode=mode), indexed, keyed) is expected


def test_a_failed_method_falls_back_to_the_other_then_the_rules() -> None:
    assert fallback_order(TriageMethod.LLM) == [
        TriageMethod.LLM,
        TriageMethod.VECTOR,
        TriageMethod.RULES,
    ]
    assert fallback_order(TriageMethod.VECTOR)[1] is TriageMethod.LLM


def test_confident_results_are_applied_and_the_others_suggested() -> None:
    suggested = {"category_id": "cat_hw", "team_id": "team_a"}
    settled = {"priority": "P1"}
    outcome, applied = decide(0.8, 0.6, suggested, settled)
    assert outcome is TriageOutcome.APPLIED
    assert applied == {"priority": "P1", "category_id": "cat_hw", "team_id": "team_a"}
    outcome, applied = decide(0.5, 0.6, suggested, settled)
    assert outcome is TriageOutcome.SUGGESTED
    assert applied == {"priority": "P1"}  # the rules' fields are always written
    assert decide(0.0, 0.6, {}, settled)[0] is TriageOutcome.RULES_ONLY


# --- overrides and accuracy ---------------------------------------------------------------------


def record(**extra: Any) -> TriageRecord:
    return TriageRecord(
        ticket_number=extra.pop("ticket_number", 1),
        client_id=extra.pop("client_id", "cl_acme"),
        method=extra.pop("method", TriageMethod.VECTOR),
        outcome=TriageOutcome.APPLIED,
        confidence=0.9,
        threshold=0.6,
        suggested={"category_id": "cat_hw", "agent_id": "ag_1"},
        **extra,
    )


def test_an_agents_change_of_a_suggested_field_is_an_override_until_set_back() -> None:
    triaged = record()
    assert triaged.record_change("category_id", "cat_net", "ag_2", NOW)
    assert triaged.overrides["category_id"].final == "cat_net"
    assert not triaged.record_change("status", "open", "ag_2", NOW)  # not triaged
    assert triaged.record_change("category_id", "cat_hw", "ag_2", NOW)
    assert triaged.overrides == {}


def test_accuracy_counts_the_fields_agents_kept() -> None:
    overridden = record(ticket_number=2)
    overridden.record_change("agent_id", "ag_9", "ag_9", NOW)
    accuracy = Accuracy()
    accuracy.add(record())
    accuracy.add(overridden)
    report = accuracy.as_dict()
    assert report["triaged"] == 2
    assert report["accuracy"] == 0.75
    assert report["fields"]["agent_id"] == {"kept": 1, "suggested": 2, "accuracy": 0.5}
    assert Accuracy().as_dict()["accuracy"] is None


def test_agents_loads_are_counted_only_when_a_skill_rule_runs() -> None:
    counted: list[int] = []

    def loads() -> list[AgentLoad]:
        counted.append(1)
        return [AgentLoad(agent("ag_1", "Abe", ["SAP"]), 0)]

    plain = [rule("p", 1, {}, {"priority": "P2"})]
    assert apply_rules(plain, facts(), loads).values == {"priority": Priority.P2}
    assert counted == []
    skilled = [rule("s", 1, {}, {"required_skill": "sap"})]
    assert apply_rules(skilled, facts(), loads).values == {"agent_id": "ag_1"}
    assert counted == [1]
