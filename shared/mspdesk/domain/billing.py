"""Time classification and invoice drafts (DESIGN section 6): pure, no I/O.

The contract decides what an entry costs, never the technician:

- covered: inside the contract's scope and allowance; invoiced at zero, consumes allowance;
- billable: inside the scope beyond the allowance (or time and materials); the contract rate;
- chargeable: outside the scope (work type, category, out of hours where not covered, no
  contract); the ad-hoc rate, with the out-of-hours uplift on out-of-hours time;
- non-billable: the contract's non-billable work types (internal, goodwill); never invoiced.

Rules, so that the answer is the same whoever computes it and in whatever order entries came:

- Entries are taken in start-time order (then by id), so permuting the input changes nothing.
- An entry is rounded up to the contract's increment, and to its minimum charge, before
  anything else; the rounded time is what consumes the allowance and what is invoiced.
- An entry is split into its out-of-hours and in-hours minutes (the contract's calendar); when
  the contract covers out-of-hours work, the out-of-hours part takes the allowance first (the
  uplift never applies to covered scope). The rounding falls on the in-hours part when there is
  one. A part that crosses the end of the allowance is split into a covered and a billable part.
- Worked and billed minutes are conserved across every split.
- Money is integer pence: a part's amount is billed minutes x rate x (100 + uplift) / 6000,
  rounded half up; totals are sums of parts.

The hot loop (`classify`) works on plain tuples, as the nightly run classifies every entry of
every client; the pydantic models at the end are what the API and the store keep.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import Field

from mspdesk.domain.calendar import business_minutes_between
from mspdesk.domain.enums import ContractKind
from mspdesk.domain.errors import Forbidden, InvalidInput
from mspdesk.domain.models import CalendarFields, Contract, Model, utcnow

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)
Period = Annotated[str, Field(pattern=PERIOD_PATTERN)]
_CELL = 900  # seconds: the grid of the working-time table (every real boundary sits on it)
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


class BillingClass(StrEnum):
    COVERED = "covered"
    BILLABLE = "billable"
    CHARGEABLE = "chargeable"
    NON_BILLABLE = "non_billable"


class PeriodLocked(Forbidden):
    """The period's invoice is approved: its time can no longer change."""

    def __init__(self, client_id: str, period: str) -> None:
        super().__init__(f"billing period {period} of client {client_id} is locked (approved)")
        self.client_id = client_id
        self.period = period


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


# Why a part was classified as it was: bits of a part's `why`, turned into words by `reason`.
ROUNDED = 1
MINIMUM = 2
SPLIT = 4
NO_CONTRACT = 8
WORK_TYPE_OUT = 16
CATEGORY_OUT = 32
OUT_OF_HOURS = 64
USED_UP = 128
NO_ALLOWANCE = 256
UNLIMITED = 512
OUTSIDE_WINDOW = 1024

COVERED, BILLABLE, CHARGEABLE, NON_BILLABLE = (
    BillingClass.COVERED,
    BillingClass.BILLABLE,
    BillingClass.CHARGEABLE,
    BillingClass.NON_BILLABLE,
)


# --- periods ---------------------------------------------------------------------------------


def check_period(period: str) -> str:
    if not _PERIOD.match(period):
        raise InvalidInput("period", "a billing period is written YYYY-MM")
    return period


def period_of(at: datetime, zone: ZoneInfo) -> str:
    """The billing period (calendar month in the MSP's time zone) an instant falls in."""
    local = at.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def period_of_day(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(period: str) -> date:
    year, month = check_period(period).split("-")
    return date(int(year), int(month), 1)


def next_period(period: str) -> str:
    day = first_day(period)
    return period_of_day(date(day.year + day.month // 12, day.month % 12 + 1, 1))


def previous_period(period: str) -> str:
    day = first_day(period) - timedelta(days=1)
    return period_of_day(day)


def last_day(period: str) -> date:
    return first_day(next_period(period)) - timedelta(days=1)


def period_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a period in UTC: local midnights of its first day and the next's."""
    start = datetime.combine(first_day(period), time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day(next_period(period)), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def periods_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included (empty when last comes first)."""
    out: list[str] = []
    current = first
    while current <= last:
        out.append(current)
        current = next_period(current)
    return out


# --- working time ----------------------------------------------------------------------------


class WorkingTime:
    """In-hours seconds of [start, end) on a calendar, fast enough for a million entries.

    Built once per calendar and window from the calendar code the SLA engine uses
    (`business_minutes_between`), as working seconds per 15-minute cell and their running
    sum. A cell that is all working or all idle answers by arithmetic; a cell that a boundary
    cuts (a calendar with, say, 09:10 starts) and anything outside the window is asked of the
    calendar itself, so the answer is always exact.
    """

    def __init__(self, calendar: CalendarFields, start: datetime, end: datetime) -> None:
        self.calendar = calendar
        origin = int(start.timestamp()) // _CELL * _CELL
        cells = -(-(int(end.timestamp()) - origin) // _CELL) + 1
        self.origin = origin
        self.cells = cells
        worked: list[int] = []
        at = datetime.fromtimestamp(origin, UTC)
        step = timedelta(seconds=_CELL)
        for _ in range(cells):
            worked.append(round(business_minutes_between(calendar, at, at + step) * 60))
            at += step
        self.worked = worked
        before = [0]
        for value in worked:
            before.append(before[-1] + value)
        self.before = before

    def _exact(self, start: int, end: int) -> int:
        return round(
            business_minutes_between(
                self.calendar,
                datetime.fromtimestamp(start, UTC),
                datetime.fromtimestamp(end, UTC),
            )
            * 60
        )

    def seconds(self, start: int, end: int) -> int:
        """Working seconds in [start, end), epoch seconds."""
        origin = self.origin
        i, a = divmod(start - origin, _CELL)
        j, b = divmod(end - origin, _CELL)
        if i < 0 or j >= self.cells:
            return self._exact(start, end)
        worked = self.worked
        wi = worked[i]
        wj = worked[j]
        if (wi != 0 and wi != _CELL) or (wj != 0 and wj != _CELL):
            return self._exact(start, end)
        before = self.before
        return (before[j] + (b if wj else 0)) - (before[i] + (a if wi else 0))


# --- contract terms --------------------------------------------------------------------------


def pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def money(amount_pence: int) -> Decimal:
    return (Decimal(amount_pence) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Terms:
    """A contract compiled for classification (or the MSP's terms when there is none)."""

    contract_id: str | None
    name: str
    kind: ContractKind | None
    allowance_minutes: int
    unlimited: bool
    allowance_period: str
    rates: Mapping[str, int]  # pence per hour by work type
    adhoc: int  # pence per hour
    uplift: int  # percent on out-of-hours chargeable time
    rounding: int
    minimum: int
    work_types: frozenset[str] | None  # None: every work type
    categories: frozenset[str] | None  # None: every category
    covers_out_of_hours: bool
    non_billable: frozenset[str]
    currency: str = "GBP"
    fixed_fee: int = 0
    starts_on: date | None = None
    ends_on: date | None = None
    block_expires_on: date | None = None

    @classmethod
    def of(cls, contract: Contract) -> Terms:
        tm = contract.kind is ContractKind.TIME_AND_MATERIALS
        return cls(
            contract_id=contract.id,
            name=contract.name,
            kind=contract.kind,
            allowance_minutes=0 if tm else int(contract.allowance_hours * 60),
            unlimited=contract.allowance_unlimited and not tm,
            allowance_period=contract.allowance_period,
            rates={k: pence(v) for k, v in contract.rates.items()},
            adhoc=pence(contract.adhoc_rate),
            uplift=contract.out_of_hours_uplift_percent,
            rounding=contract.rounding_minutes,
            minimum=contract.minimum_charge_minutes,
            work_types=frozenset(contract.scope.work_types) or None,
            categories=frozenset(contract.scope.category_ids) or None,
            covers_out_of_hours=contract.scope.covers_out_of_hours,
            non_billable=frozenset(contract.non_billable_work_types),
            currency=contract.currency,
            fixed_fee=pence(contract.fixed_fee),
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            block_expires_on=contract.block_expires_on or contract.ends_on,
        )

    @classmethod
    def none(
        cls,
        adhoc_rate: Decimal = Decimal("95.00"),
        uplift: int = 50,
        rounding: int = 15,
        minimum: int = 15,
        currency: str = "GBP",
    ) -> Terms:
        """No contract in force: everything is chargeable at the MSP's ad-hoc terms."""
        return cls(
            contract_id=None,
            name="no contract",
            kind=None,
            allowance_minutes=0,
            unlimited=False,
            allowance_period="monthly",
            rates={},
            adhoc=pence(adhoc_rate),
            uplift=uplift,
            rounding=rounding,
            minimum=minimum,
            work_types=None,
            categories=None,
            covers_out_of_hours=False,
            non_billable=frozenset({"internal", "goodwill"}),
            currency=currency,
        )

    def in_window(self, day: date) -> bool:
        """Whether work started on `day` may use the allowance (a block expires)."""
        if self.allowance_period == "block" and self.block_expires_on is not None:
            return day <= self.block_expires_on
        return True

    def window_periods(self, period: str) -> list[str]:
        """The periods of the allowance window that `period` belongs to, up to `period`."""
        if self.allowance_period == "quarterly":
            day = first_day(period)
            first = period_of_day(date(day.year, (day.month - 1) // 3 * 3 + 1, 1))
            return periods_between(first, period)
        if self.allowance_period == "block" and self.starts_on is not None:
            return periods_between(period_of_day(self.starts_on), period) or [period]
        return [period]

    def fee_due(self, period: str) -> bool:
        """Whether the fixed fee is invoiced in `period`: each period the contract is in force
        (a block: once, in the period it starts)."""
        if not self.fixed_fee or self.starts_on is None:
            return False
        if self.allowance_period == "block":
            return period_of_day(self.starts_on) == period
        return self.starts_on <= last_day(period) and (
            self.ends_on is None or self.ends_on >= first_day(period)
        )

    def rate_for(self, work_type: str) -> int:
        return self.rates.get(work_type, self.adhoc)


# --- classification --------------------------------------------------------------------------

# A time entry as the classifier reads it: (started epoch seconds, entry id, minutes,
# work type, category id or None). Tuples sort in start-time order, then by id.
Row = tuple[int, str, int, str, str | None]


# A classified part as `classify` makes it: the fields of Part, in its order, as a plain
# tuple (a NamedTuple costs a call per part; there is a part per entry and client).
PartRow = tuple[str, BillingClass, int, int, bool, int, int, int, int, int]


class Part(NamedTuple):
    """One classified part of an entry (an entry has one, or two or three when split)."""

    key: str  # the entry's id
    billing_class: BillingClass
    worked: int  # minutes worked in this part
    billed: int  # minutes invoiced or consumed (worked plus any rounding)
    out_of_hours: bool
    rate: int  # pence per hour (before uplift)
    uplift: int  # percent applied to this part
    amount: int  # pence
    left: int  # allowance minutes left after this part
    why: int  # the bits above


@dataclass
class Classified:
    parts: list[PartRow]
    allowance_left: int  # after the last entry
    covered: int = 0  # minutes of allowance consumed here


def rounded_minutes(minutes: int, increment: int, minimum: int) -> int:
    return max(minimum, -(-minutes // increment) * increment)


def classify(
    rows: Iterable[Row],
    terms: Terms,
    hours: WorkingTime,
    allowance_left: int,
    window_end: int | None = None,
) -> Classified:
    """Classify a client's entries under one contract.

    `hours` gives the in-hours seconds of an interval; `allowance_left` is what the window
    still holds when these entries start; entries starting at or after `window_end` (epoch
    seconds: a block that expired) use no allowance. Rows already in start-time order (as the
    store reads them) cost one pass to check.

    The common cases (an entry wholly in or out of hours, wholly covered, billable or
    chargeable) are written out inline: this loop runs for every entry of every client.
    """
    parts: list[PartRow] = []
    add = parts.append
    left = allowance_left
    non_billable = terms.non_billable
    work_types = terms.work_types
    categories = terms.categories
    has_contract = terms.contract_id is not None
    covers_ooh = terms.covers_out_of_hours
    unlimited = terms.unlimited
    increment = terms.rounding
    minimum = terms.minimum
    adhoc = terms.adhoc
    uplifted = 100 + terms.uplift
    uplift = terms.uplift
    used_up = NO_ALLOWANCE if terms.allowance_minutes == 0 and not unlimited else USED_UP
    rates = terms.rates
    exact = hours.seconds
    origin, cells, table, before = hours.origin, hours.cells, hours.worked, hours.before
    scope_memo: dict[tuple[str, str | None], tuple[int, int]] = {}

    def eligible(key: str, worked: int, billed: int, ooh: bool, why: int, rate: int) -> None:
        """A part inside the scope: covered while the allowance lasts, then billable."""
        nonlocal left
        covered = left if left < billed else billed
        if covered:
            if covered < billed:  # the allowance ends inside this part
                why |= SPLIT
            left -= covered
            covered_worked = worked if worked < covered else covered
            add((key, COVERED, covered_worked, covered, ooh, 0, 0, 0, left, why))
            worked -= covered_worked
            billed -= covered
            if not billed:
                return
        add(
            (
                key,
                BILLABLE,
                worked,
                billed,
                ooh,
                rate,
                0,
                (billed * rate + 30) // 60,
                left,
                why | used_up,
            )
        )

    def part(
        key: str, worked: int, billed: int, ooh: bool, why: int, out: int, rate: int, outside: bool
    ) -> None:
        if out or (ooh and not covers_ooh):
            if ooh:
                add(
                    (
                        key,
                        CHARGEABLE,
                        worked,
                        billed,
                        True,
                        adhoc,
                        uplift,
                        (billed * adhoc * uplifted + 3000) // 6000,
                        left,
                        why | (out or OUT_OF_HOURS) | OUT_OF_HOURS,
                    )
                )
            else:
                add(
                    (
                        key,
                        CHARGEABLE,
                        worked,
                        billed,
                        False,
                        adhoc,
                        0,
                        (billed * adhoc + 30) // 60,
                        left,
                        why | out,
                    )
                )
        elif outside:
            add(
                (
                    key,
                    BILLABLE,
                    worked,
                    billed,
                    ooh,
                    rate,
                    0,
                    (billed * rate + 30) // 60,
                    left,
                    why | OUTSIDE_WINDOW,
                )
            )
        elif unlimited:
            add((key, COVERED, worked, billed, ooh, 0, 0, 0, left, why | UNLIMITED))
        else:
            eligible(key, worked, billed, ooh, why, rate)

    for started, key, minutes, work_type, category in sorted(rows):
        if work_type in non_billable:
            add((key, NON_BILLABLE, minutes, minutes, False, 0, 0, 0, left, 0))
            continue
        end = started + minutes * 60
        # In-hours seconds: arithmetic on whole cells of the table, else the calendar itself.
        i = (started - origin) // _CELL
        j = (end - origin) // _CELL
        if i >= 0 and j < cells:
            wi = table[i]
            wj = table[j]
            if (wi == 0 or wi == _CELL) and (wj == 0 or wj == _CELL):
                seconds = before[j] - before[i]
                if wj:
                    seconds += end - origin - j * _CELL
                if wi:
                    seconds -= started - origin - i * _CELL
            else:
                seconds = exact(started, end)
        else:
            seconds = exact(started, end)
        in_min = (seconds + 30) // 60
        billed = -(-minutes // increment) * increment
        why = ROUNDED if billed != minutes else 0
        if billed < minimum:
            billed = minimum
            why = MINIMUM
        scope = scope_memo.get((work_type, category))
        if scope is None:
            if not has_contract:
                out = NO_CONTRACT
            elif work_types is not None and work_type not in work_types:
                out = WORK_TYPE_OUT
            elif categories is not None and category not in categories:
                out = CATEGORY_OUT
            else:
                out = 0
            scope = scope_memo[(work_type, category)] = (out, rates.get(work_type, adhoc))
        out, rate = scope
        outside = window_end is not None and started >= window_end
        if in_min >= minutes:
            if out:
                add(
                    (
                        key,
                        CHARGEABLE,
                        minutes,
                        billed,
                        False,
                        adhoc,
                        0,
                        (billed * adhoc + 30) // 60,
                        left,
                        why | out,
                    )
                )
            elif unlimited or outside or left < billed:
                part(key, minutes, billed, False, why, 0, rate, outside)
            else:
                left -= billed
                add((key, COVERED, minutes, billed, False, 0, 0, 0, left, why))
        elif not in_min:
            if out or not covers_ooh:
                add(
                    (
                        key,
                        CHARGEABLE,
                        minutes,
                        billed,
                        True,
                        adhoc,
                        uplift,
                        (billed * adhoc * uplifted + 3000) // 6000,
                        left,
                        why | (out or OUT_OF_HOURS) | OUT_OF_HOURS,
                    )
                )
            else:
                part(key, minutes, billed, True, why, 0, rate, outside)
        else:
            # Out-of-hours first: it takes the allowance first when covered; the rounding
            # falls on the in-hours part.
            ooh_min = minutes - in_min
            part(key, ooh_min, ooh_min, True, SPLIT, out, rate, outside)
            part(key, in_min, in_min + billed - minutes, False, why | SPLIT, out, rate, outside)
    return Classified(parts, left, allowance_left - left)


# --- reasons ---------------------------------------------------------------------------------


def hours_text(minutes: int) -> str:
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    text = f"{value:f}".rstrip("0").rstrip(".")
    return f"{text} h"


def money_text(amount_pence: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency)
    value = f"{money(amount_pence):,.2f}"
    return f"{symbol}{value}" if symbol else f"{value} {currency}"


def _allowance_name(terms: Terms) -> str:
    names = {"monthly": "monthly allowance", "quarterly": "quarterly allowance", "block": "block"}
    return names.get(terms.allowance_period, "allowance")


def reason(part: Part, terms: Terms, work_type: str) -> str:
    """Why a part costs what it costs, in words a client could read."""
    why = part.why
    allowance = f"{hours_text(terms.allowance_minutes)} {_allowance_name(terms)}"
    if part.billing_class is NON_BILLABLE:
        text = f"non-billable: {work_type} work is never invoiced"
    elif part.billing_class is COVERED:
        if why & UNLIMITED:
            text = f"covered: included in {terms.name} without limit"
        else:
            text = f"covered: {hours_text(part.left)} of {allowance} left"
        if part.out_of_hours:
            text += " (out of hours, covered by the contract)"
    elif part.billing_class is BILLABLE:
        rate = f"{money_text(part.rate, terms.currency)}/h"
        if why & OUTSIDE_WINDOW:
            text = f"billable at {rate}: the block expired on {terms.block_expires_on}"
        elif why & NO_ALLOWANCE:
            kind = "time and materials" if terms.kind is ContractKind.TIME_AND_MATERIALS else None
            text = f"billable at {rate}: {kind or terms.name + ' has no allowance'}"
        else:
            text = f"billable at {rate}: the {allowance} is used up"
    else:
        rate = f"{money_text(part.rate, terms.currency)}/h"
        if why & NO_CONTRACT:
            cause = "no contract in force"
        elif why & WORK_TYPE_OUT:
            cause = f"{work_type} work is outside the scope of {terms.name}"
        elif why & CATEGORY_OUT:
            cause = f"the ticket's category is outside the scope of {terms.name}"
        else:
            cause = f"out of hours, not covered by {terms.name}"
        text = f"chargeable at the ad-hoc rate {rate}: {cause}"
        if part.uplift:
            text += f", +{part.uplift}% out of hours"
    if why & SPLIT:
        text += "; part of a split entry"
    if why & MINIMUM:
        text += f"; minimum charge {terms.minimum} min"
    elif why & ROUNDED:
        text += f"; rounded up to {terms.rounding}-minute increments"
    return text


# --- what the store and the API keep -----------------------------------------------------------


class BillingLine(Model):
    """One classified part of one time entry, with the reason for its class."""

    entry_id: str
    ticket_number: int
    agent_id: str
    started_at: datetime
    work_type: str
    billing_class: BillingClass
    worked_minutes: int
    billed_minutes: int
    out_of_hours: bool
    rate: Decimal
    uplift_percent: int
    amount: Decimal
    contract_id: str | None
    reason: str


class InvoiceLine(Model):
    """A line of the invoice: the billed time of one class, work type and rate, or a fee."""

    description: str
    billing_class: BillingClass | None = None  # None: a fixed fee
    work_type: str | None = None
    out_of_hours: bool = False
    minutes: int = 0
    hours: Decimal = Decimal("0.00")
    rate: Decimal = Decimal("0.00")
    uplift_percent: int = 0
    amount: Decimal


class InvoiceTotals(Model):
    covered_minutes: int = 0
    billable_minutes: int = 0
    chargeable_minutes: int = 0
    non_billable_minutes: int = 0
    worked_minutes: int = 0
    fees: Decimal = Decimal("0.00")
    time: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")


class InvoiceDraft(Model):
    client_id: str
    client_name: str
    period: Period
    status: InvoiceStatus = InvoiceStatus.DRAFT
    currency: str = "GBP"
    contract_ids: list[str] = Field(default_factory=list)
    lines: list[InvoiceLine] = Field(default_factory=list)
    billing_lines: list[BillingLine] = Field(default_factory=list)
    totals: InvoiceTotals = Field(default_factory=InvoiceTotals)
    # Allowance minutes consumed in this period, per contract: later periods of a quarterly
    # allowance or a block start from what is left.
    covered_by_contract: dict[str, int] = Field(default_factory=dict)
    entry_count: int = 0
    fingerprint: str = ""
    built_at: datetime = Field(default_factory=utcnow)
    version: int = 0
    # The entry writes (revision) the draft was built from; a later write makes it stale.
    built_revision: int = 0
    stale: bool = False
    approved_at: datetime | None = None
    approved_by: str | None = None


@dataclass(frozen=True)
class EntryFacts:
    """What a billing line shows of its entry besides the classification."""

    ticket_number: int
    agent_id: str
    started_at: datetime
    work_type: str


@dataclass
class ContractRun:
    """The classification of a period's entries under one contract."""

    terms: Terms
    classified: Classified


@dataclass
class DraftInput:
    client_id: str
    client_name: str
    period: str
    runs: list[ContractRun]
    facts: Mapping[str, EntryFacts]
    fees: list[Terms] = field(default_factory=list)
    currency: str = "GBP"


def build_draft(data: DraftInput, built_at: datetime) -> InvoiceDraft:
    """The invoice draft of a client's period: fee lines, one line per class, work type and
    rate, and every entry's parts with their reasons."""
    billing_lines: list[BillingLine] = []
    groups: dict[tuple[str, str, str, bool, int, int], list[int]] = {}
    totals = InvoiceTotals()
    minutes_by_class = dict.fromkeys(BillingClass, 0)
    time_pence = 0
    covered: dict[str, int] = {}
    for run in data.runs:
        terms = run.terms
        if terms.contract_id is not None:
            covered[terms.contract_id] = covered.get(terms.contract_id, 0) + run.classified.covered
        for row in run.classified.parts:
            part = Part._make(row)
            facts = data.facts[part.key]
            billing_lines.append(
                BillingLine(
                    entry_id=part.key,
                    ticket_number=facts.ticket_number,
                    agent_id=facts.agent_id,
                    started_at=facts.started_at,
                    work_type=facts.work_type,
                    billing_class=part.billing_class,
                    worked_minutes=part.worked,
                    billed_minutes=part.billed,
                    out_of_hours=part.out_of_hours,
                    rate=money(part.rate),
                    uplift_percent=part.uplift,
                    amount=money(part.amount),
                    contract_id=terms.contract_id,
                    reason=reason(part, terms, facts.work_type),
                )
            )
            minutes_by_class[part.billing_class] += part.billed
            totals.worked_minutes += part.worked
            time_pence += part.amount
            if part.billing_class in (BILLABLE, CHARGEABLE):
                group = (
                    terms.name,
                    part.billing_class.value,
                    facts.work_type,
                    part.out_of_hours,
                    part.rate,
                    part.uplift,
                )
                sums = groups.setdefault(group, [0, 0])
                sums[0] += part.billed
                sums[1] += part.amount
    lines: list[InvoiceLine] = []
    fee_pence = 0
    for terms in data.fees:
        fee_pence += terms.fixed_fee
        lines.append(
            InvoiceLine(
                description=f"{terms.name}: fixed fee for {data.period}",
                amount=money(terms.fixed_fee),
            )
        )
    for (name, klass, work_type, ooh, rate, uplift), (billed, amount) in sorted(groups.items()):
        when = " out of hours" if ooh else ""
        extra = f" +{uplift}%" if uplift else ""
        lines.append(
            InvoiceLine(
                description=f"{work_type} support{when}, {klass} ({name}){extra}",
                billing_class=BillingClass(klass),
                work_type=work_type,
                out_of_hours=ooh,
                minutes=billed,
                hours=(Decimal(billed) / 60).quantize(Decimal("0.01")),
                rate=money(rate),
                uplift_percent=uplift,
                amount=money(amount),
            )
        )
    billing_lines.sort(key=lambda line: (line.started_at, line.entry_id))
    totals.covered_minutes = minutes_by_class[COVERED]
    totals.billable_minutes = minutes_by_class[BILLABLE]
    totals.chargeable_minutes = minutes_by_class[CHARGEABLE]
    totals.non_billable_minutes = minutes_by_class[NON_BILLABLE]
    totals.fees = money(fee_pence)
    totals.time = money(time_pence)
    totals.total = money(fee_pence + time_pence)
    draft = InvoiceDraft(
        client_id=data.client_id,
        client_name=data.client_name,
        period=data.period,
        currency=data.currency,
        contract_ids=sorted({r.terms.contract_id for r in data.runs if r.terms.contract_id}),
        lines=lines,
        billing_lines=billing_lines,
        totals=totals,
        covered_by_contract=covered,
        entry_count=len(data.facts),
        built_at=built_at,
    )
    return draft.model_copy(update={"fingerprint": fingerprint(draft)})


def fingerprint(draft: InvoiceDraft) -> str:
    """What the draft says, without when it was built or its bookkeeping: a re-run that
    changes nothing has the same fingerprint."""
    content = draft.model_dump_json(
        include={"client_id", "period", "currency", "lines", "billing_lines", "totals"}
    )
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def totals_by_class(parts: Iterable[PartRow]) -> dict[BillingClass, tuple[int, int]]:
    """Billed minutes and pence per class (tests and the benchmark compare these)."""
    minutes = dict.fromkeys(BillingClass, 0)
    amounts = dict.fromkeys(BillingClass, 0)
    for part in parts:
        minutes[part[1]] += part[3]
        amounts[part[1]] += part[7]
    return {klass: (minutes[klass], amounts[klass]) for klass in BillingClass}
