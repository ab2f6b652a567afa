"""Business time on a working calendar: pure, DST-correct, holiday-aware and fast.

A calendar is compiled once into its working spans as UTC microseconds (sorted, overlaps
merged) with the working time before each span summed up, so adding business time to an
instant and measuring it between two instants are each one or two binary searches. The spans
are laid out from the calendar's local hours one local day at a time, so a daylight-saving
change moves the UTC instants, never the office hours. Compiled calendars are kept per process:
a calendar is treated as a value and must not be changed in place once used.

Rules:
- An interval whose end is at or before its start crosses midnight into the next day.
- A holiday removes the intervals that start on that date (an overnight shift that starts the
  evening before a holiday is worked in full).
- Public holidays of a country (and subdivision) come from the `holidays` package when the
  calendar names one; they are resolved into dates for the years a computation touches.
- Naive datetimes are taken as UTC.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mspdesk.domain.errors import InvalidInput
from mspdesk.domain.models import CalendarFields

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MINUTE_US = 60_000_000
# Far enough for any SLA target; a calendar with no working time at all is refused past it.
_HORIZON_DAYS = 3 * 366
_CACHE_LIMIT = 256


def _to_us(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _local_us(day: date, at: time, zone: ZoneInfo) -> int:
    # Through UTC so that a local time inside a spring-forward gap lands on a real instant.
    return _to_us(datetime.combine(day, at, tzinfo=zone).astimezone(UTC))


def public_holidays(country: str, subdivision: str | None, years: Iterable[int]) -> set[date]:
    """A country's (and subdivision's) public holidays in `years`, from the `holidays` package.

    Imported here, not at module load: most calendars never ask and the package is large.
    """
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=list(years))
    except NotImplementedError as exc:
        raise InvalidInput("holiday_country", f"no public holidays known for {country}") from exc
    return set(found.keys())


@dataclass(frozen=True)
class _Table:
    """Merged working spans of the local days [first, last), in UTC microseconds."""

    first: date
    last: date
    low: int  # the first instant the table answers for: local midnight of `first`
    high: int  # the first instant it does not: local midnight of `last`
    starts: list[int]
    ends: list[int]
    before: list[int]  # working microseconds before each span
    after: list[int]  # working microseconds up to each span's end


class BusinessCalendar:
    """A compiled calendar: business-time arithmetic on UTC microseconds."""

    def __init__(self, calendar: CalendarFields) -> None:
        self.zone = ZoneInfo(calendar.time_zone)
        self._week: dict[int, list[tuple[time, time]]] = {
            day: sorted((i.start, i.end) for i in intervals)
            for day, intervals in calendar.week.items()
            if intervals
        }
        if not self._week:
            raise InvalidInput("calendar", "the calendar has no working hours")
        self._holidays = set(calendar.holidays)
        # Fields a calendar may carry to import a country's public holidays.
        self._country: str | None = getattr(calendar, "holiday_country", None)
        self._subdivision: str | None = getattr(calendar, "holiday_subdivision", None)
        self._lock = threading.Lock()
        self._table: _Table | None = None

    # --- the span table ------------------------------------------------------------------

    def _local_day(self, us: int) -> date:
        return _from_us(us).astimezone(self.zone).date()

    def _build(self, first: date, last: date) -> _Table:
        holidays = set(self._holidays)
        if self._country:
            years = range(first.year - 1, last.year + 1)
            holidays |= public_holidays(self._country, self._subdivision, years)
        raw: list[tuple[int, int]] = []
        # The day before `first` too: its overnight intervals run into `first`.
        day = first - timedelta(days=1)
        while day < last:
            if day not in holidays:
                for opens, closes in self._week.get(day.isoweekday(), ()):
                    end_day = day if closes > opens else day + timedelta(days=1)
                    span = (_local_us(day, opens, self.zone), _local_us(end_day, closes, self.zone))
                    if span[1] > span[0]:
                        raw.append(span)
            day += timedelta(days=1)
        raw.sort()
        starts: list[int] = []
        ends: list[int] = []
        for start, end in raw:
            if ends and start <= ends[-1]:  # overlapping or touching: one span
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        before: list[int] = []
        after: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            before.append(total)
            total += end - start
            after.append(total)
        low, high = _local_us(first, time(0), self.zone), _local_us(last, time(0), self.zone)
        return _Table(first, last, low, high, starts, ends, before, after)

    def _covering(self, low: int, high: int) -> _Table:
        """A table valid for every instant in [low, high]."""
        table = self._table
        if table is not None and self._valid(table, low, high):
            return table
        with self._lock:
            table = self._table
            if table is None or not self._valid(table, low, high):
                first = self._local_day(low) - timedelta(days=2)
                last = self._local_day(high) + timedelta(days=2)
                if table is not None:
                    first, last = min(first, table.first), max(last, table.last)
                # Whole years: one build serves a long run of nearby instants.
                table = self._build(date(first.year, 1, 1), date(last.year + 1, 1, 1))
                self._table = table
            return table

    @staticmethod
    def _valid(table: _Table, low: int, high: int) -> bool:
        return table.low <= low and high < table.high

    @staticmethod
    def _worked(table: _Table, us: int) -> int:
        """Working microseconds from the table's origin to `us`."""
        i = bisect_right(table.starts, us) - 1
        if i < 0:
            return 0
        return table.before[i] + min(us, table.ends[i]) - table.starts[i]

    # --- arithmetic ----------------------------------------------------------------------

    def between(self, start: int, end: int) -> int:
        """Working microseconds from `start` to `end` (negative when `end` comes first)."""
        low, high = (start, end) if start <= end else (end, start)
        table = self._covering(low, high)
        return self._worked(table, end) - self._worked(table, start)

    def add(self, start: int, amount: int) -> int:
        """The instant at which `amount` working microseconds have elapsed after `start`;
        with zero, the next working moment (`start` itself when it is working time)."""
        horizon = start + _HORIZON_DAYS * 86_400_000_000
        reach = start + 7 * 86_400_000_000 + amount * 2
        while True:
            table = self._covering(start, min(reach, horizon))
            target = self._worked(table, start) + amount
            # A span whose end is exactly the target holds it, unless nothing is to be added:
            # then the answer is the start of the next working time.
            j = (bisect_left if amount else bisect_right)(table.after, target)
            if j < len(table.after):
                return table.starts[j] + target - table.before[j]
            if reach >= horizon:
                raise InvalidInput("calendar", "no working time within three years")
            reach = min(horizon, reach * 2 - start)

    def next_working(self, start: int) -> int:
        return self.add(start, 0)


_by_id: dict[int, tuple[CalendarFields, BusinessCalendar]] = {}
_by_content: dict[str, BusinessCalendar] = {}
_cache_lock = threading.Lock()


def compiled(calendar: CalendarFields) -> BusinessCalendar:
    """The compiled form of `calendar`, kept per process (by object, then by content)."""
    hit = _by_id.get(id(calendar))
    if hit is not None and hit[0] is calendar:
        return hit[1]
    key = calendar.model_dump_json(exclude={"name"})
    with _cache_lock:
        found = _by_content.get(key)
        if found is None:
            found = BusinessCalendar(calendar)
            if len(_by_content) >= _CACHE_LIMIT:
                _by_content.clear()
            _by_content[key] = found
        if len(_by_id) >= _CACHE_LIMIT:
            _by_id.clear()
        # The entry holds the calendar itself, so its id cannot be reused while cached.
        _by_id[id(calendar)] = (calendar, found)
    return found


def add_business_minutes(calendar: CalendarFields, start: datetime, minutes: float) -> datetime:
    """The instant at which `minutes` of working time have elapsed after `start` (in UTC)."""
    amount = round(minutes * _MINUTE_US)
    if amount < 0:
        return start
    return _from_us(compiled(calendar).add(_to_us(start), amount))


def business_minutes_between(calendar: CalendarFields, start: datetime, end: datetime) -> float:
    """Working minutes from `start` to `end` (negative when `end` comes first)."""
    return compiled(calendar).between(_to_us(start), _to_us(end)) / _MINUTE_US


def next_working_moment(calendar: CalendarFields, at: datetime) -> datetime:
    """`at` itself in working time, else the start of the next working time."""
    return _from_us(compiled(calendar).next_working(_to_us(at)))
