from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks.registry import BENCHMARKS, select
from benchmarks.report import Figure, number, parse_line, percentile, write_json

# The line as BENCHMARKS.md gives it, for people and for scripts.
DOCUMENTED = re.compile(
    r"^BENCH name=[a-z0-9_]+ value=-?[0-9.]+ unit=\S+ reference=[0-9.]+ ratio=[0-9.]+ goal=.+$"
)


def figure(**changes: object) -> Figure:
    fields: dict[str, object] = {
        "name": "api_get_ticket",
        "value": 12.345678,
        "unit": "ms",
        "reference": 4.1,
        "goal": "ratio <= 3",
    }
    fields.update(changes)
    return Figure(**fields)  # type: ignore[arg-type]


def test_bench_line_has_the_documented_fields_in_order() -> None:
    line = figure().line()

    assert DOCUMENTED.match(line)
    assert line == (
        "BENCH name=api_get_ticket value=12.3457 unit=ms reference=4.1 ratio=3.01115 "
        "goal=ratio <= 3"
    )


def test_line_reads_back_to_the_figure_it_printed() -> None:
    made = figure(name="queue_first_page", value=25, unit="items", reference=25)

    assert parse_line(made.line()) == made.fields()


def test_ratio_is_the_printed_value_over_the_printed_reference() -> None:
    assert figure(value=30.0, reference=4.0).ratio == 7.5


def test_numbers_are_printed_without_exponents_and_integers_without_a_point() -> None:
    assert number(25.0) == "25"
    assert number(10_000) == "10000"
    assert number(0.0000123456) == "0.0000123456"
    assert number(1234567.891) == "1234568"
    assert number(0.9188031) == "0.918803"


@pytest.mark.parametrize("reference", [0, -1.0, float("nan"), float("inf")])
def test_a_reference_that_was_not_measured_is_refused(reference: float) -> None:
    with pytest.raises(ValueError, match="reference"):
        figure(reference=reference)


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"name": "API import"}, "snake_case"), ({"unit": "ms p50"}, "one word")],
)
def test_names_and_units_that_would_break_the_line_are_refused(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        figure(**changes)


def test_json_holds_the_same_figures_as_the_lines(tmp_path: Path) -> None:
    figures = [figure(), figure(name="queue_first_page", value=25, unit="items", reference=25)]

    path = write_json(figures, tmp_path / ".local" / "bench.json")

    saved = json.loads(path.read_text())
    assert saved == [parse_line(f.line()) for f in figures]
    assert all(list(s) == ["name", "value", "unit", "reference", "ratio", "goal"] for s in saved)


@pytest.mark.parametrize(
    ("goal", "value", "met"),
    [
        ("ratio <= 3", 12.0, True),
        ("ratio <= 3", 12.4, False),
        ("ratio >= 10, equal answers", 41.0, True),
        ("ratio >= 10, equal answers", 39.6, False),
        ("equal totals", 1.0, None),
    ],
)
def test_the_ratio_bound_is_read_from_the_goal(goal: str, value: float, met: bool | None) -> None:
    assert figure(value=value, reference=4.0, goal=goal).meets_goal() is met


def test_percentiles_interpolate_between_ranks() -> None:
    samples = [float(x) for x in range(1, 101)]

    assert percentile(samples, 50) == 50.5
    assert percentile(samples, 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0


def test_only_picks_a_benchmark_by_its_module_or_any_figure_it_prints() -> None:
    assert [b.module for b in select(["api_get_ticket_p99"])] == ["api_get_ticket"]
    assert [b.module for b in select(["queue_first_page", "api_import"])] == [
        "api_import",
        "queue_first_page",
    ]
    assert select(None) == list(BENCHMARKS)
    with pytest.raises(KeyError):
        select(["no_such_figure"])


def test_figure_names_are_unique_and_every_module_has_a_run() -> None:
    names = [f for b in BENCHMARKS for f in b.figures]

    assert len(names) == len(set(names))
    assert all(callable(b.load()) for b in BENCHMARKS)
