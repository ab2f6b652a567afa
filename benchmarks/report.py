"""The one output format of the benchmarks: a BENCH line per figure, read by people and by
scripts, and the same figures as a list of objects in .local/bench.json."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
JSON_PATH = REPO / ".local" / "bench.json"
KEYS = ("name", "value", "unit", "reference", "ratio", "goal")

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LINE = re.compile(
    r"^BENCH name=(?P<name>\S+) value=(?P<value>\S+) unit=(?P<unit>\S+)"
    r" reference=(?P<reference>\S+) ratio=(?P<ratio>\S+) goal=(?P<goal>.+)$"
)
_GOAL = re.compile(r"^ratio\s*(?P<op><=|>=)\s*(?P<bound>[0-9.]+)")


def number(value: float) -> str:
    """Six significant digits, never an exponent, integers without a decimal point."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    if float(value).is_integer():
        return str(int(value))
    decimals = max(0, 5 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    reference: float
    goal: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"figure names are snake_case: {self.name!r}")
        if not self.unit or any(c.isspace() for c in self.unit):
            raise ValueError(f"a unit is one word: {self.unit!r}")
        if not self.goal.strip() or "\n" in self.goal:
            raise ValueError(f"a goal is one line of text: {self.goal!r}")
        number(self.value)
        # A reference of zero means the reference was not measured; the ratio would be noise.
        if not math.isfinite(self.reference) or self.reference <= 0:
            raise ValueError(f"{self.name}: the reference must be positive, got {self.reference}")

    @property
    def ratio(self) -> float:
        return float(number(self.value)) / float(number(self.reference))

    def fields(self) -> dict[str, Any]:
        """The figure as printed: the JSON holds exactly the numbers of the line."""
        return {
            "name": self.name,
            "value": _json_number(number(self.value)),
            "unit": self.unit,
            "reference": _json_number(number(self.reference)),
            "ratio": _json_number(number(self.ratio)),
            "goal": self.goal,
        }

    def line(self) -> str:
        f = self.fields()
        return (
            f"BENCH name={f['name']} value={number(f['value'])} unit={f['unit']}"
            f" reference={number(f['reference'])} ratio={number(f['ratio'])} goal={f['goal']}"
        )

    def meets_goal(self) -> bool | None:
        """Whether the ratio meets a goal starting `ratio <= x` or `ratio >= x`; None when
        the goal has no such bound. Further conditions of a goal are the module's to check."""
        found = _GOAL.match(self.goal)
        if found is None:
            return None
        bound = float(found["bound"])
        ratio = float(self.fields()["ratio"])
        return ratio <= bound if found["op"] == "<=" else ratio >= bound


def _json_number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)


def parse_line(line: str) -> dict[str, Any]:
    """A BENCH line back to its fields, numbers as numbers."""
    found = _LINE.match(line.strip())
    if found is None:
        raise ValueError(f"not a BENCH line: {line!r}")
    out: dict[str, Any] = found.groupdict()
    for key in ("value", "reference", "ratio"):
        out[key] = _json_number(out[key])
    return out


def write_json(figures: Iterable[Figure], path: Path = JSON_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([f.fields() for f in figures], indent=2) + "\n")
    tmp.replace(path)
    return path


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0 <= q <= 100), linear between the nearest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, got {q}")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
