"""Call scripts: the questions an agent asks on the phone, set by an admin per client,
category or team, with branches on the answers. Pure rules: which script applies, which
questions a set of answers walks through, and the transcript saved on the ticket.

Branches only jump forward, so every walk ends: a script cannot loop.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import Id, Model, Name, utcnow

END = "end"
QuestionId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")]
Answer = Annotated[str, Field(min_length=1, max_length=2000)]


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    YES_NO = "yes_no"


class ScriptQuestion(Model):
    id: QuestionId
    text: Annotated[str, Field(min_length=1, max_length=1000)]
    kind: QuestionKind = QuestionKind.TEXT
    options: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=30
    )
    # answer -> the question to ask next, or "end"; answers not listed go to `next`.
    branches: dict[str, str] = Field(default_factory=dict)
    # The question after this one when no branch applies; None is the next in order.
    next: str | None = None

    @property
    def choices(self) -> list[str]:
        return ["yes", "no"] if self.kind is QuestionKind.YES_NO else self.options

    def accepts(self, answer: str) -> str:
        """The answer as stored: one of the choices (matched case-insensitively) or text."""
        if self.kind is QuestionKind.TEXT:
            return answer.strip()
        for choice in self.choices:
            if choice.lower() == answer.strip().lower():
                return choice
        raise InvalidInput(f"answers.{self.id}", f"answer one of: {', '.join(self.choices)}")


class CallScriptFields(Model):
    name: Name
    # Where the script applies; all empty makes it the default script.
    client_ids: list[Id] = Field(default_factory=list, max_length=100)
    category_ids: list[Id] = Field(default_factory=list, max_length=100)
    team_ids: list[Id] = Field(default_factory=list, max_length=100)
    questions: list[ScriptQuestion] = Field(min_length=1, max_length=100)
    active: bool = True

    @model_validator(mode="after")
    def _forward_branches(self) -> Self:
        order = {q.id: i for i, q in enumerate(self.questions)}
        if len(order) != len(self.questions):
            raise ValueError("question ids must be unique")
        for i, question in enumerate(self.questions):
            if question.kind is QuestionKind.CHOICE and not question.options:
                raise ValueError(f"question {question.id}: a choice needs options")
            choices = {c.lower() for c in question.choices}
            targets = list(question.branches.items())
            if question.next is not None:
                targets.append(("", question.next))
            for answer, target in targets:
                choice = answer and question.kind is not QuestionKind.TEXT
                if choice and answer.lower() not in choices:
                    raise ValueError(f"question {question.id}: {answer!r} is not an option")
                if target == END:
                    continue
                if target not in order:
                    raise ValueError(f"question {question.id}: no question {target!r}")
                if order[target] <= i:
                    raise ValueError(f"question {question.id}: branches only jump forward")
        return self


class CallScript(CallScriptFields):
    id: Id
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def choose_script(
    scripts: list[CallScript],
    client_id: str | None,
    category_id: str | None = None,
    team_id: str | None = None,
) -> CallScript | None:
    """The most specific active script: the client's, else the category's, else the team's,
    else the default one. Ties go to the name, so the choice is stable."""
    ranked: list[tuple[int, str, CallScript]] = []
    for script in scripts:
        if not script.active:
            continue
        if client_id and client_id in script.client_ids:
            rank = 0
        elif category_id and category_id in script.category_ids:
            rank = 1
        elif team_id and team_id in script.team_ids:
            rank = 2
        elif not (script.client_ids or script.category_ids or script.team_ids):
            rank = 3
        else:
            continue
        ranked.append((rank, script.name.lower(), script))
    return min(ranked, key=lambda r: (r[0], r[1]))[2] if ranked else None


def walk(script: CallScriptFields, answers: dict[str, str]) -> list[tuple[ScriptQuestion, str]]:
    """The questions the answers lead through, each with its answer, stopping at the first
    question not answered yet. Answers to questions off that path are refused: they would be
    saved on the ticket as if they had been asked."""
    by_id = {q.id: (i, q) for i, q in enumerate(script.questions)}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise InvalidInput(f"answers.{unknown[0]}", "no such question in this script")
    path: list[tuple[ScriptQuestion, str]] = []
    position: int | None = 0
    while position is not None and position < len(script.questions):
        question = script.questions[position]
        raw = answers.get(question.id)
        if raw is None:
            break
        answer = question.accepts(raw)
        path.append((question, answer))
        target = next(
            (t for a, t in question.branches.items() if a.lower() == answer.lower()),
            question.next,
        )
        if target == END:
            position = None
        else:
            position = by_id[target][0] if target is not None else position + 1
    off_path = sorted(set(answers) - {q.id for q, _ in path})
    if off_path:
        raise InvalidInput(f"answers.{off_path[0]}", "this question is not on the answers' path")
    return path


def transcript(script: CallScriptFields, path: list[tuple[ScriptQuestion, str]]) -> str:
    lines = [f"Call script: {script.name}"]
    for question, answer in path:
        lines.append(f"- {question.text} {answer}")
    return "\n".join(lines)
