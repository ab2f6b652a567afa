"""business_time: business-time add and diff throughput (operations per second) of
mspdesk.domain.calendar against the businesstimedelta package, on the same calendar (Monday to
Friday 09:00-17:30 Europe/London with England's public holidays) and the same instants; every
answer of ours must equal the reference's."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, TypeVar

from benchmarks.report import Figure
from mspdesk.domain.calendar import (
    add_business_minutes,
    business_minutes_between,
    public_holidays,
)
from mspdesk.domain.models import CalendarFields

OPERATIONS = 10_000
QUICK_OPERATIONS = 1_000
GOAL = "ratio >= 10, equal answers"
ZONE = "Europe/London"
YEAR = 2026
T = TypeVar("T")


def run(quick: bool) -> list[Figure]:
    count = QUICK_OPERATIONS if quick else OPERATIONS
    holidays = public_holidays("GB", "ENG", range(YEAR - 1, YEAR + 6))
    ours = CalendarFields(name="Office", time_zone=ZONE, holidays=sorted(holidays))
    rule = _reference_rule(holidays)
    starts, minutes, ends = _instants(count)

    from businesstimedelta import BusinessTimeDelta

    def their_add() -> list[datetime]:
        return [
            s + BusinessTimeDelta(rule, seconds=m * 60)
            for s, m in zip(starts, minutes, strict=True)
        ]

    def our_add() -> list[datetime]:
        return [add_business_minutes(ours, s, m) for s, m in zip(starts, minutes, strict=True)]

    def their_diff() -> list[int]:
        return [
            rule.difference(s, e).timedelta // timedelta(seconds=1)
            for s, e in zip(starts, ends, strict=True)
        ]

    def our_diff() -> list[int]:
        return [
            round(business_minutes_between(ours, s, e) * 60)
            for s, e in zip(starts, ends, strict=True)
        ]

    our_add()  # compiles the calendar once, as a warm container would have
    add_ours, add_seconds = _timed(our_add)
    add_theirs, add_reference = _timed(their_add)
    _same("add", add_ours, add_theirs)
    diff_ours, diff_seconds = _timed(our_diff)
    diff_theirs, diff_reference = _timed(their_diff)
    _same("diff", diff_ours, diff_theirs)
    return [
        Figure(
            "business_time",
            2 * count / (add_seconds + diff_seconds),
            "ops/s",
            2 * count / (add_reference + diff_reference),
            GOAL,
        ),
        Figure("business_time_add", count / add_seconds, "ops/s", count / add_reference, GOAL),
        Figure("business_time_diff", count / diff_seconds, "ops/s", count / diff_reference, GOAL),
    ]


def _reference_rule(holidays: set[date]) -> Any:
    import businesstimedelta
    import pytz

    zone = pytz.timezone(ZONE)
    return businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=clock_time(9),
                end_time=clock_time(17, 30),
                working_days=[0, 1, 2, 3, 4],
                tz=zone,
            ),
            businesstimedelta.HolidayRule(holidays, tz=zone),
        ]
    )


def _instants(count: int, seed: int = 11) -> tuple[list[datetime], list[int], list[datetime]]:
    """Whole-minute instants over a year (both DST changes, every holiday), SLA-sized
    durations, and ends up to ten days after each start."""
    rng = random.Random(seed)
    origin = datetime(YEAR, 1, 1, tzinfo=UTC)
    starts = [origin + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(count)]
    minutes = [rng.randint(1, 5 * 510) for _ in range(count)]
    ends = [s + timedelta(minutes=rng.randrange(10 * 24 * 60)) for s in starts]
    return starts, minutes, ends


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def _same(what: str, ours: Sequence[Any], theirs: Sequence[Any]) -> None:
    wrong = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    if wrong:
        i = wrong[0]
        raise RuntimeError(
            f"business_time {what}: {len(wrong)} answers differ, first {ours[i]} != {theirs[i]}"
        )
