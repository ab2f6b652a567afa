"""Business time on a working calendar: hand-computed cases and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mspdesk.domain.calendar import add_business_minutes, business_minutes_between
from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import CalendarFields, WorkingInterval

LONDON = ZoneInfo("Europe/London")
OFFICE = CalendarFields(name="Office")  # Mon-Fri 09:00-17:30 Europe/London by default
EASTER_2026 = [date(2026, 4, 3), date(2026, 4, 6)]  # Good Friday, Easter Monday
OFFICE_WITH_HOLIDAYS = CalendarFields(name="Office", holidays=EASTER_2026)
NIGHTS = CalendarFields(
    name="Night shift",
    week={d: [WorkingInterval(start=time(22), end=time(6))] for d in range(1, 6)},
)
EVERY_NIGHT = CalendarFields(
    name="Every night",
    week={d: [WorkingInterval(start=time(22), end=time(6))] for d in range(1, 8)},
)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        pytest.param(
            london(2026, 3, 6, 16), 240, london(2026, 3, 9, 11, 30), id="friday-to-monday"
        ),
        pytest.param(
            london(2026, 3, 27, 16), 240, london(2026, 3, 30, 11, 30), id="over-march-dst"
        ),
        pytest.param(
            london(2026, 10, 23, 16), 240, london(2026, 10, 26, 11, 30), id="over-october-dst"
        ),
        pytest.param(london(2026, 3, 7, 10), 30, london(2026, 3, 9, 9, 30), id="from-saturday"),
        pytest.param(london(2026, 3, 9, 7), 30, london(2026, 3, 9, 9, 30), id="before-opening"),
        pytest.param(london(2026, 3, 9, 12), 0, london(2026, 3, 9, 12), id="zero-in-hours"),
        pytest.param(london(2026, 3, 9, 18), 0, london(2026, 3, 10, 9), id="zero-after-hours"),
        pytest.param(london(2026, 3, 9, 9), 510, london(2026, 3, 9, 17, 30), id="a-whole-day"),
    ],
)
def test_business_minutes_land_on_the_hand_computed_local_time(
    start: datetime, minutes: int, expected: datetime
) -> None:
    end = add_business_minutes(OFFICE, start, minutes)
    assert end == expected
    assert end.astimezone(LONDON).replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_the_daylight_saving_change_moves_utc_instants_not_office_hours() -> None:
    before = add_business_minutes(OFFICE, london(2026, 3, 27, 16), 240)
    assert before.astimezone(UTC) == datetime(2026, 3, 30, 10, 30, tzinfo=UTC)  # BST
    after = add_business_minutes(OFFICE, london(2026, 10, 23, 16), 240)
    assert after.astimezone(UTC) == datetime(2026, 10, 26, 11, 30, tzinfo=UTC)  # GMT


def test_holidays_are_skipped() -> None:
    end = add_business_minutes(OFFICE_WITH_HOLIDAYS, london(2026, 4, 2, 16), 240)
    assert end == london(2026, 4, 7, 11, 30)
    assert business_minutes_between(
        OFFICE_WITH_HOLIDAYS, london(2026, 4, 2, 9), london(2026, 4, 7, 17, 30)
    ) == pytest.approx(2 * 510)


def test_an_overnight_interval_still_running_at_the_start_counts() -> None:
    # Friday's 22:00-06:00 shift is still on at 03:00 on Saturday; nothing more until Monday.
    end = add_business_minutes(NIGHTS, london(2026, 3, 7, 3), 240)
    assert end == london(2026, 3, 9, 23)


def test_an_overnight_interval_continues_past_midnight() -> None:
    assert add_business_minutes(NIGHTS, london(2026, 3, 9, 21), 60) == london(2026, 3, 9, 23)
    assert add_business_minutes(NIGHTS, london(2026, 3, 10, 5), 120) == london(2026, 3, 10, 23)


@pytest.mark.parametrize(
    ("night", "minutes"),
    [
        pytest.param(date(2026, 3, 28), 7 * 60, id="spring-forward-night-is-short"),
        pytest.param(date(2026, 10, 24), 9 * 60, id="fall-back-night-is-long"),
        pytest.param(date(2026, 3, 14), 8 * 60, id="ordinary-night"),
    ],
)
def test_an_overnight_interval_over_a_dst_change_counts_the_hours_really_worked(
    night: date, minutes: int
) -> None:
    start = datetime.combine(night, time(22), tzinfo=LONDON)
    end = datetime.combine(night + timedelta(days=1), time(6), tzinfo=LONDON)
    assert business_minutes_between(EVERY_NIGHT, start, end) == pytest.approx(minutes)


def test_minutes_between_count_only_working_time_and_are_signed() -> None:
    monday, next_monday = london(2026, 3, 9, 9), london(2026, 3, 16, 9)
    assert business_minutes_between(OFFICE, monday, next_monday) == pytest.approx(5 * 510)
    assert business_minutes_between(OFFICE, next_monday, monday) == pytest.approx(-5 * 510)
    saturday, sunday = london(2026, 3, 14, 10), london(2026, 3, 15, 16)
    assert business_minutes_between(OFFICE, saturday, sunday) == 0


def test_a_calendar_without_working_hours_is_refused() -> None:
    empty = CalendarFields(name="Never", week={})
    with pytest.raises(InvalidInput) as refused:
        add_business_minutes(empty, london(2026, 3, 9, 9), 60)
    assert refused.value.field == "calendar"


# --- properties ----------------------------------------------------------------------------

CALENDARS = st.sampled_from([OFFICE, OFFICE_WITH_HOLIDAYS, NIGHTS, EVERY_NIGHT])
INSTANTS = st.datetimes(
    min_value=datetime(2025, 10, 1), max_value=datetime(2027, 4, 30), timezones=st.just(UTC)
)
DURATIONS = st.floats(min_value=0, max_value=15_000, allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, minutes=DURATIONS)
def test_adding_business_minutes_then_measuring_gives_them_back(
    calendar: CalendarFields, start: datetime, minutes: float
) -> None:
    end = add_business_minutes(calendar, start, minutes)
    assert end >= start
    assert business_minutes_between(calendar, start, end) == pytest.approx(minutes, abs=1 / 60)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, a=DURATIONS, b=DURATIONS)
@example(calendar=OFFICE, start=datetime(2025, 10, 1, tzinfo=UTC), a=0.0, b=1e-164)
def test_more_business_minutes_never_end_earlier(
    calendar: CalendarFields, start: datetime, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    assert add_business_minutes(calendar, start, low) <= add_business_minutes(calendar, start, high)


@settings(max_examples=100, deadline=None)
@given(
    calendar=CALENDARS,
    start=INSTANTS,
    a=st.integers(min_value=0, max_value=20 * 24 * 60),
    b=st.integers(min_value=0, max_value=20 * 24 * 60),
)
def test_business_minutes_between_grow_with_the_end(
    calendar: CalendarFields, start: datetime, a: int, b: int
) -> None:
    first, second = sorted((a, b))
    near = business_minutes_between(calendar, start, start + timedelta(minutes=first))
    far = business_minutes_between(calendar, start, start + timedelta(minutes=second))
    assert 0 <= near <= far <= second
