"""Triage, the pure part (DESIGN section 7): routing rules, the neighbours' vote, the choice of
method and what is applied. No I/O: the service feeds it the ticket, the rules, the agents and
the neighbours or the LLM's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from mspdesk.domain.enums import Priority, RequestType, TicketSource, TriageMode
from mspdesk.domain.models import (
    Agent,
    Id,
    Model,
    Name,
    Stored,
    TriageSettings,
    utcnow,
)
from mspdesk.triage.ports import Neighbour

# The fields triage may set on a ticket, in the order agents read them.
TRIAGED_FIELDS = ("category_id", "priority", "team_id", "agent_id")

# Below this cosine similarity even the nearest past ticket is a poor guide: the confidence
# shrinks in proportion (section 7: "a confidence score").
SIMILAR_ENOUGH = 0.5


class TriageMethod(StrEnum):
    VECTOR = "vector"
    LLM = "llm"
    RULES = "rules"  # no AI answer (none configured, or both failed): the rules alone


# --- routing rules ---------------------------------------------------------------------------


Keyword = Annotated[str, Field(min_length=1, max_length=100)]


class RuleConditions(Model):
    """Every named condition must hold; an empty list does not constrain."""

    client_ids: list[Id] = Field(default_factory=list)
    category_ids: list[Id] = Field(default_factory=list)
    # Any of them, as whole words or phrases, in the subject or the body, case ignored.
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)
    request_types: list[RequestType] = Field(default_factory=list)
    sources: list[TicketSource] = Field(default_factory=list)
    vip_only: bool = False


class RuleActions(Model):
    team_id: Id | None = None
    agent_id: Id | None = None
    # The least-loaded available agent with this skill (within team_id when the rule sets one).
    required_skill: str | None = Field(default=None, min_length=1, max_length=100)
    priority: Priority | None = None
    category_id: Id | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Self:
        if not any(getattr(self, name) for name in type(self).model_fields):
            raise ValueError("a rule sets a team, an agent, a skill, a priority or a category")
        if self.agent_id and self.required_skill:
            raise ValueError("a rule names an agent or a required skill, not both")
        return self


class RoutingRuleFields(Model):
    name: Name
    # Rules run in ascending order; the first rule to set a field settles it.
    order: int = Field(default=100, ge=0, le=1_000_000)
    active: bool = True
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    actions: RuleActions


class RoutingRule(Stored, RoutingRuleFields):
    pass


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What rules and triage read of a new ticket."""

    client_id: str
    subject: str
    body: str
    source: TicketSource
    request_type: RequestType
    vip: bool = False
    category_id: str | None = None

    @property
    def text(self) -> str:
        return triage_text(self.subject, self.body)


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = (re.escape(word) for word in keyword.lower().split())
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def rule_matches(rule: RoutingRule, facts: TicketFacts, category_id: str | None) -> bool:
    wanted = rule.conditions
    if not rule.active:
        return False
    if wanted.client_ids and facts.client_id not in wanted.client_ids:
        return False
    if wanted.category_ids and category_id not in wanted.category_ids:
        return False
    if wanted.request_types and facts.request_type not in wanted.request_types:
        return False
    if wanted.sources and facts.source not in wanted.sources:
        return False
    if wanted.vip_only and not facts.vip:
        return False
    if wanted.keywords:
        haystack = f"{facts.subject}\n{facts.body}".lower()
        if not any(_keyword_pattern(k).search(haystack) for k in wanted.keywords):
            return False
    return True


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent: Agent
    open_tickets: int


def least_loaded(
    candidates: Iterable[AgentLoad], skill: str | None = None, team_id: str | None = None
) -> Agent | None:
    """The available active agent with the skill (and in the team) who has the fewest open
    tickets; ties go to the name, so the choice is the same on every run."""
    skill_key = skill.casefold() if skill else None
    fitting = [
        c
        for c in candidates
        if c.agent.active
        and c.agent.available
        and (skill_key is None or skill_key in {s.casefold() for s in c.agent.skills})
        and (team_id is None or team_id in c.agent.team_ids)
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (c.open_tickets, c.agent.name, c.agent.id)).agent


@dataclass
class Settled:
    """The fields the rules settled, and by which rule."""

    values: dict[str, Any] = field(default_factory=dict)
    by_rule: dict[str, str] = field(default_factory=dict)  # field -> rule id
    # A skill rule that found nobody: the rule still settles the team, not the agent.
    unmet_skills: list[str] = field(default_factory=list)


def apply_rules(
    rules: Sequence[RoutingRule],
    facts: TicketFacts,
    loads: Sequence[AgentLoad] | Callable[[], Sequence[AgentLoad]],
    category_id: str | None = None,
    settled: Settled | None = None,
) -> Settled:
    """Runs the rules in order; each field is settled by the first matching rule that sets it.
    Called again once AI has chosen a category, with what was settled, so category rules
    apply too. Agents' loads may be given as a function: counted only if a skill rule runs."""
    result = settled or Settled()
    # The category the ticket was raised with wins, then a rule's, then AI's.
    category = facts.category_id or result.values.get("category_id") or category_id
    for rule in sorted(rules, key=lambda r: (r.order, r.name, r.id)):
        if not rule_matches(rule, facts, category):
            continue
        actions = rule.actions
        proposals: dict[str, Any] = {
            "category_id": actions.category_id,
            "priority": actions.priority,
            "team_id": actions.team_id,
            "agent_id": actions.agent_id,
        }
        if actions.required_skill and "agent_id" not in result.values:
            team = actions.team_id or result.values.get("team_id")
            chosen = least_loaded(
                loads() if callable(loads) else loads, actions.required_skill, team
            )
            if chosen is None:
                if actions.required_skill not in result.unmet_skills:  # a second pass
                    result.unmet_skills.append(actions.required_skill)
            else:
                proposals["agent_id"] = chosen.id
        for name, value in proposals.items():
            if value is not None and name not in result.values:
                result.values[name] = value
                result.by_rule[name] = rule.id
    return result


# --- the vector method -----------------------------------------------------------------------


def triage_text(subject: str, body: str, limit: int = 4000) -> str:
    """What is embedded: the subject and the start of the body, whitespace folded. Quoted
    history is already cut from mail bodies at ingestion."""
    text = f"{subject}\n{body}".strip()
    return " ".join(text.split())[:limit]


@dataclass(frozen=True, slots=True)
class FieldVote:
    value: Any
    share: float  # the winner's part of the weight that voted on this field, 0..1


@dataclass(frozen=True, slots=True)
class Vote:
    fields: dict[str, FieldVote]
    estimated_minutes: int | None
    confidence: float


def _weighted_winner(
    pairs: Iterable[tuple[Hashable | None, float]],
) -> FieldVote | None:
    """The value with the most weight; a tie goes to the value of the nearer neighbour."""
    totals: dict[Hashable, float] = {}
    for value, weight in pairs:
        if value is not None and weight > 0:
            totals[value] = totals.get(value, 0.0) + weight  # insertion order = nearness
    if not totals:
        return None
    winner = max(totals, key=lambda v: totals[v])  # max keeps the first of equals
    return FieldVote(winner, totals[winner] / sum(totals.values()))


def weighted_median(values: Sequence[tuple[float, float]]) -> float | None:
    """The value at which half of the weight lies on each side (lower one on an exact half)."""
    kept = sorted((v, w) for v, w in values if w > 0)
    if not kept:
        return None
    half = sum(w for _, w in kept) / 2
    running = 0.0
    for value, weight in kept:
        running += weight
        if running >= half:
            return value
    return kept[-1][0]


def vote(
    neighbours: Sequence[Neighbour],
    active_agent_ids: Collection[str],
    known: Mapping[str, Callable[[Any], bool]] | None = None,
) -> Vote:
    """Category, priority, team and assignee by similarity-weighted vote of the neighbours;
    the time to resolve by their weighted median; a confidence score.

    Only active agents may be chosen; `known` can reject values that no longer exist (a
    deleted category), so a stale neighbour does not vote for them."""
    checks = known or {}

    def allowed(name: str, value: Any) -> bool:
        check = checks.get(name)
        return value is not None and (check is None or check(value))

    weights = [(n, max(n.similarity, 0.0)) for n in neighbours]
    fields: dict[str, FieldVote] = {}
    for name in TRIAGED_FIELDS:
        pairs = []
        for neighbour, weight in weights:
            value = getattr(neighbour.ticket, name)
            if name == "agent_id" and value not in active_agent_ids:
                continue
            if allowed(name, value):
                pairs.append((value, weight))
        winner = _weighted_winner(pairs)
        if winner is not None:
            fields[name] = winner
    median = weighted_median([(n.ticket.resolution_minutes, w) for n, w in weights])
    best = max((w for _, w in weights), default=0.0)
    category = fields.get("category_id")
    confidence = (category.share if category else 0.0) * min(1.0, best / SIMILAR_ENOUGH)
    return Vote(
        fields=fields,
        estimated_minutes=round(median) if median is not None else None,
        confidence=round(confidence, 4),
    )


# --- choosing the method and what to apply --------------------------------------------------


def choose_method(settings: TriageSettings, indexed: int, llm_configured: bool) -> TriageMethod:
    """Section 7 and issue 5: "auto" takes the vector method once enough resolved tickets are
    indexed, else the LLM when a key is configured, else the vector method anyway."""
    if settings.mode is TriageMode.VECTOR:
        return TriageMethod.VECTOR
    if settings.mode is TriageMode.LLM:
        return TriageMethod.LLM
    if indexed >= settings.min_history:
        return TriageMethod.VECTOR
    return TriageMethod.LLM if llm_configured else TriageMethod.VECTOR


def fallback_order(first: TriageMethod) -> list[TriageMethod]:
    """When a method fails, the other AI method, then the rules alone."""
    if first is TriageMethod.VECTOR:
        return [TriageMethod.VECTOR, TriageMethod.LLM, TriageMethod.RULES]
    if first is TriageMethod.LLM:
        return [TriageMethod.LLM, TriageMethod.VECTOR, TriageMethod.RULES]
    return [TriageMethod.RULES]


class TriageOutcome(StrEnum):
    APPLIED = "applied"  # confident enough: written to the ticket
    SUGGESTED = "suggested"  # shown to the agent, who accepts or overrides it
    RULES_ONLY = "rules_only"  # no AI answer; what the rules settled was applied


class NeighbourRecord(Model):
    number: int
    similarity: float
    category_id: str | None = None
    resolution_minutes: int | None = None


class FieldOverride(Model):
    """An agent set a triaged field to something other than what triage suggested."""

    suggested: str | None
    final: str | None
    agent_id: str | None = None
    at: datetime = Field(default_factory=utcnow)


class TriageRecord(Model):
    """What triage did to one ticket: kept with the ticket and returned as its "triage"."""

    ticket_number: int
    client_id: Id
    method: TriageMethod
    outcome: TriageOutcome
    confidence: float = Field(ge=0, le=1)
    threshold: float = Field(ge=0, le=1)
    # What AI proposed (rules' fields excluded); what was written; which rule set what.
    suggested: dict[str, str | None] = Field(default_factory=dict)
    field_confidence: dict[str, float] = Field(default_factory=dict)
    applied: dict[str, str | None] = Field(default_factory=dict)
    rules: dict[str, str] = Field(default_factory=dict)
    estimated_minutes: int | None = None
    neighbours: list[NeighbourRecord] = Field(default_factory=list)
    reasoning: str | None = Field(default=None, max_length=2000)
    model: str | None = None
    fallbacks: list[str] = Field(default_factory=list)  # "llm: overloaded", ...
    latency_ms: int = 0
    overrides: dict[str, FieldOverride] = Field(default_factory=dict)
    accepted_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    version: int = 1

    def record_change(
        self, name: str, final: str | None, agent_id: str | None, at: datetime
    ) -> bool:
        """Notes an agent's change of a field triage suggested; True when the record moved.
        Setting a field back to the suggestion withdraws the override."""
        if name not in self.suggested:
            return False
        suggestion = self.suggested[name]
        if final == suggestion:
            return self.overrides.pop(name, None) is not None
        self.overrides[name] = FieldOverride(
            suggested=suggestion, final=final, agent_id=agent_id, at=at
        )
        return True


def decide(
    confidence: float, threshold: float, suggested: Mapping[str, Any], settled: Mapping[str, Any]
) -> tuple[TriageOutcome, dict[str, Any]]:
    """The outcome and the fields to write: the rules' always, AI's when confident."""
    applied = dict(settled)
    if confidence >= threshold and suggested:
        for name, value in suggested.items():
            applied.setdefault(name, value)
        return TriageOutcome.APPLIED, applied
    return TriageOutcome.SUGGESTED if suggested else TriageOutcome.RULES_ONLY, applied


# --- accuracy --------------------------------------------------------------------------------


@dataclass
class Accuracy:
    triaged: int = 0
    fields: int = 0  # suggested fields seen
    kept: int = 0  # ... that agents left as suggested
    by_field: dict[str, list[int]] = field(default_factory=dict)  # name -> [kept, seen]

    def add(self, record: TriageRecord) -> None:
        self.triaged += 1
        for name in record.suggested:
            seen = self.by_field.setdefault(name, [0, 0])
            seen[1] += 1
            self.fields += 1
            if name not in record.overrides:
                seen[0] += 1
                self.kept += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "triaged": self.triaged,
            "accuracy": round(self.kept / self.fields, 4) if self.fields else None,
            "fields": {
                name: {"kept": kept, "suggested": seen, "accuracy": round(kept / seen, 4)}
                for name, (kept, seen) in sorted(self.by_field.items())
            },
        }
