"""Call scripts: validation, which script applies, and the path the answers take."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mspdesk.domain.call_scripts import (
    CallScript,
    CallScriptFields,
    choose_script,
    transcript,
    walk,
)
from mspdesk.domain.errors import InvalidInput

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "affected",
        "text": "Is more than one person affected?",
        "kind": "yes_no",
        "branches": {"no": "device"},
    },
    {"id": "how_many", "text": "How many people?", "next": "since"},
    {"id": "device", "text": "Which device?", "kind": "choice", "options": ["PC", "Phone"]},
    {"id": "since", "text": "Since when?"},
]


def script(**fields: Any) -> CallScript:
    return CallScript(
        id=fields.pop("id", "cs_1"), **{"name": "Outage", "questions": QUESTIONS, **fields}
    )


def test_answers_follow_the_branches() -> None:
    path = walk(script(), {"affected": "No", "device": "phone", "since": "9am"})
    assert [(q.id, a) for q, a in path] == [
        ("affected", "no"),
        ("device", "Phone"),
        ("since", "9am"),
    ]
    other = walk(script(), {"affected": "yes", "how_many": "12", "since": "9am"})
    assert [q.id for q, _ in other] == ["affected", "how_many", "since"]


def test_a_walk_stops_at_the_first_unanswered_question() -> None:
    assert [q.id for q, _ in walk(script(), {"affected": "yes"})] == ["affected"]


def test_an_answer_to_a_question_off_the_path_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        walk(script(), {"affected": "no", "how_many": "3"})
    assert refused.value.field == "answers.how_many"


def test_a_choice_outside_the_options_is_refused() -> None:
    with pytest.raises(InvalidInput):
        walk(script(), {"affected": "maybe"})


def test_the_transcript_lists_each_question_with_its_answer() -> None:
    found = script()
    text = transcript(found, walk(found, {"affected": "no", "device": "PC"}))
    assert text.splitlines() == [
        "Call script: Outage",
        "- Is more than one person affected? no",
        "- Which device? PC",
    ]


@pytest.mark.parametrize(
    "questions",
    [
        [{"id": "a", "text": "A", "next": "a"}],  # a loop
        [{"id": "a", "text": "A"}, {"id": "b", "text": "B", "next": "a"}],  # backwards
        [{"id": "a", "text": "A", "next": "nowhere"}],
        [{"id": "a", "text": "A", "kind": "yes_no", "branches": {"perhaps": "end"}}],
        [{"id": "a", "text": "A", "kind": "choice"}],  # a choice without options
        [{"id": "a", "text": "A"}, {"id": "a", "text": "again"}],
    ],
)
def test_scripts_that_could_loop_or_jump_nowhere_are_refused(
    questions: list[dict[str, Any]],
) -> None:
    with pytest.raises(ValidationError):
        CallScriptFields(name="x", questions=questions)


def test_the_most_specific_script_applies() -> None:
    default = script(id="cs_d", name="Default")
    team = script(id="cs_t", name="Team", team_ids=["team_1"])
    category = script(id="cs_cat", name="Category", category_ids=["cat_1"])
    client = script(id="cs_c", name="Client", client_ids=["cl_1"])
    inactive = script(id="cs_off", name="Aaa", client_ids=["cl_1"], active=False)
    scripts = [default, team, category, client, inactive]
    assert choose_script(scripts, "cl_1", "cat_1", "team_1") is client
    assert choose_script(scripts, "cl_2", "cat_1", "team_1") is category
    assert choose_script(scripts, "cl_2", None, "team_1") is team
    assert choose_script(scripts, "cl_2", None, None) is default
    assert choose_script([team], "cl_2", None, None) is None
