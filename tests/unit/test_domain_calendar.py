"""Business time on a working calendar: hand-computed cases and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mspdesk.domain.calendar import (
    add_business_minutes,
    business_minutes_between,
    next_working_moment,
    public_holidays,
)
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


# --- public holidays, several intervals a day, the next working moment ----------------------


def test_a_countrys_public_holidays_come_from_the_holidays_package() -> None:
    england = public_holidays("GB", "ENG", [2026])
    assert {date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25), date(2026, 12, 28)} <= england
    assert date(2026, 3, 17) not in england  # St Patrick's Day is Northern Ireland's
    assert date(2026, 3, 17) in public_holidays("GB", "NIR", [2026])


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        public_holidays("XX", None, [2026])
    assert refused.value.field == "holiday_country"


def test_imported_public_holidays_are_skipped_like_any_holiday() -> None:
    office = CalendarFields(name="England", holidays=sorted(public_holidays("GB", "ENG", [2026])))
    # Thursday 2 April 16:00 + 4 h: 1.5 h on Thursday, Good Friday and Easter Monday off,
    # 2.5 h on Tuesday from 09:00.
    assert add_business_minutes(office, london(2026, 4, 2, 16), 240) == london(2026, 4, 7, 11, 30)


@pytest.mark.skipif(
    "holiday_country" not in CalendarFields.model_fields,
    reason="CalendarFields.holiday_country is not in the model yet",
)
def test_a_calendar_naming_a_country_skips_its_public_holidays_in_any_year() -> None:
    office = CalendarFields.model_validate(
        {"name": "England", "holiday_country": "GB", "holiday_subdivision": "ENG"}
    )
    assert add_business_minutes(office, london(2026, 4, 2, 16), 240) == london(2026, 4, 7, 11, 30)
    # 17:00-17:30 on Christmas Eve 2031, then Christmas (Thursday), Boxing Day (Friday) and
    # the weekend off: 30 minutes more on Monday. Years from the first one computed.
    assert add_business_minutes(office, london(2031, 12, 24, 17), 60) == london(2031, 12, 29, 9, 30)


LUNCH_BREAK = CalendarFields(
    name="With lunch",
    week={
        d: [
            WorkingInterval(start=time(13), end=time(17)),
            WorkingInterval(start=time(9), end=time(12)),
        ]
        for d in range(1, 6)
    },
)


def test_several_intervals_a_day_skip_the_gap_between_them() -> None:
    assert add_business_minutes(LUNCH_BREAK, london(2026, 3, 9, 11), 90) == london(
        2026, 3, 9, 13, 30
    )
    assert business_minutes_between(
        LUNCH_BREAK, london(2026, 3, 9, 11), london(2026, 3, 9, 14)
    ) == pytest.approx(120)


def test_overlapping_intervals_count_once() -> None:
    overlapping = CalendarFields(
        name="Overlap",
        week={
            1: [
                WorkingInterval(start=time(9), end=time(13)),
                WorkingInterval(start=time(12), end=time(17)),
            ]
        },
    )
    assert business_minutes_between(
        overlapping, london(2026, 3, 9, 0), london(2026, 3, 10, 0)
    ) == pytest.approx(8 * 60)


def test_the_next_working_moment_of_a_working_instant_is_itself() -> None:
    assert next_working_moment(OFFICE, london(2026, 3, 9, 12)) == london(2026, 3, 9, 12)
    assert next_working_moment(OFFICE, london(2026, 3, 9, 17, 30)) == london(2026, 3, 10, 9)
    assert next_working_moment(OFFICE_WITH_HOLIDAYS, london(2026, 4, 3, 10)) == london(
        2026, 4, 7, 9
    )


def test_instants_years_apart_share_one_compiled_calendar() -> None:
    assert add_business_minutes(OFFICE, london(2030, 3, 1, 17), 60) == london(2030, 3, 4, 9, 30)
    assert add_business_minutes(OFFICE, london(2019, 3, 1, 17), 60) == london(2019, 3, 4, 9, 30)
    assert business_minutes_between(
        OFFICE, london(2019, 3, 4, 9), london(2030, 3, 4, 9)
    ) == pytest.approx(
        business_minutes_between(OFFICE, london(2019, 3, 4, 9), london(2025, 3, 4, 9))
        + business_minutes_between(OFFICE, london(2025, 3, 4, 9), london(2030, 3, 4, 9))
    )


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, minutes=DURATIONS)
def test_an_instant_off_hours_behaves_as_its_next_working_moment(
    calendar: CalendarFields, start: datetime, minutes: float
) -> None:
    moment = next_working_moment(calendar, start)
    assert moment >= start
    assert business_minutes_between(calendar, start, moment) == 0
    assert add_business_minutes(calendar, start, minutes) == add_business_minutes(
        calendar, moment, minutes
    )


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, a=INSTANTS, b=INSTANTS, c=INSTANTS)
def test_business_minutes_between_add_up_over_consecutive_stretches(
    calendar: CalendarFields, a: datetime, b: datetime, c: datetime
) -> None:
    whole = business_minutes_between(calendar, a, c)
    parts = business_minutes_between(calendar, a, b) + business_minutes_between(calendar, b, c)
    assert parts == pytest.approx(whole, abs=1e-6)
