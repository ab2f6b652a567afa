"""Business time on a working calendar: pure, DST-correct, holiday-aware.

Working intervals are defined in the calendar's local time and turned into UTC instants one
local day at a time, so a daylight-saving change moves the UTC instants, never the local hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import CalendarFields

# Far enough for any SLA target; a calendar with no working time at all is refused past it.
_HORIZON_DAYS = 3 * 366


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # Round-trip through UTC so a local time inside a spring-forward gap lands on a real instant.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def working_spans(calendar: CalendarFields, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working spans in UTC, in order, from the one containing `start` onwards."""
    zone = ZoneInfo(calendar.time_zone)
    holidays = set(calendar.holidays)
    if not any(calendar.week.values()):
        raise InvalidInput("calendar", "the calendar has no working hours")
    # Begin a day early: an interval that crosses midnight may still be running at `start`.
    day = start.astimezone(zone).date() - timedelta(days=1)
    for _ in range(_HORIZON_DAYS):
        if day not in holidays:
            for interval in sorted(calendar.week.get(day.isoweekday(), []), key=lambda i: i.start):
                span_start = _local(day, interval.start, zone)
                end_day = day if interval.end > interval.start else day + timedelta(days=1)
                span_end = _local(end_day, interval.end, zone)
                if span_end > start:
                    yield max(span_start, start), span_end
        day += timedelta(days=1)
    raise InvalidInput("calendar", "no working time within three years")


def add_business_minutes(calendar: CalendarFields, start: datetime, minutes: float) -> datetime:
    """The instant at which `minutes` of working time have elapsed after `start`."""
    left = timedelta(minutes=minutes)
    if left < timedelta(0):
        return start
    if not left:
        # Judged on the timedelta, not the float: a fraction of a microsecond is none at all.
        return next(working_spans(calendar, start))[0]
    for span_start, span_end in working_spans(calendar, start):
        length = span_end - span_start
        if left <= length:
            return span_start + left
        left -= length
    raise AssertionError("unreachable: working_spans raises past its horizon")


def business_minutes_between(calendar: CalendarFields, start: datetime, end: datetime) -> float:
    """Working minutes from `start` to `end` (negative when `end` comes first)."""
    if end < start:
        return -business_minutes_between(calendar, end, start)
    total = timedelta(0)
    for span_start, span_end in working_spans(calendar, start):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total.total_seconds() / 60
