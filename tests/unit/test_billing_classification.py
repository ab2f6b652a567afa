"""Classification by the contract: worked scenarios with totals computed by hand, and the
properties that make the answer independent of how entries were typed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mspdesk.domain.billing import (
    BillingClass,
    ContractRun,
    DraftInput,
    EntryFacts,
    Part,
    Row,
    Terms,
    WorkingTime,
    build_draft,
    classify,
    fingerprint,
    money,
    next_period,
    period_bounds,
    period_of,
    previous_period,
    reason,
    rounded_minutes,
    totals_by_class,
)
from mspdesk.domain.calendar import business_minutes_between
from mspdesk.domain.enums import ContractKind
from mspdesk.domain.models import CalendarFields, Contract

LONDON = ZoneInfo("Europe/London")
OFFICE = CalendarFields(name="Office")  # Mon-Fri 09:00-17:30 Europe/London
MARCH = period_bounds("2026-03", LONDON)
HOURS = WorkingTime(OFFICE, *MARCH)
COVERED, BILLABLE, CHARGEABLE, NON_BILLABLE = tuple(BillingClass)


def contract(**fields: Any) -> Contract:
    base: dict[str, Any] = {
        "id": "con_1",
        "client_id": "cl_1",
        "name": "Managed 2026",
        "starts_on": date(2026, 1, 1),
        "sla_plan_id": "sla_1",
        "calendar_id": "cal_1",
        "rates": {"remote": Decimal("85.00"), "phone": Decimal("85.00")},
        "adhoc_rate": Decimal("95.00"),
    }
    base.update(fields)
    return Contract(**base)


def row(when: datetime, minutes: int, work_type: str = "remote", key: str = "") -> Row:
    """An entry started at `when` (London time)."""
    started = int(when.replace(tzinfo=LONDON).timestamp())
    return (started, key or f"te_{started}_{minutes}", minutes, work_type, None)


def parts(rows: list[Row], terms: Terms, left: int | None = None) -> list[Part]:
    allowance = terms.allowance_minutes if left is None else left
    return [Part._make(p) for p in classify(rows, terms, HOURS, allowance).parts]


def pence_total(found: list[Part]) -> int:
    return sum(p.amount for p in found)


# --- worked scenarios ------------------------------------------------------------------------


def test_entry_crossing_the_end_of_the_allowance_is_split_into_covered_and_billable() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(2)))  # 120 minutes a month
    first = row(datetime(2026, 3, 2, 10), 90, key="te_a")
    second = row(datetime(2026, 3, 3, 10), 60, key="te_b")
    found = parts([second, first], terms)
    # 90 covered (30 left), then 30 covered and 30 billable at £85/h = £42.50.
    assert [(p.key, p.billing_class, p.billed) for p in found] == [
        ("te_a", COVERED, 90),
        ("te_b", COVERED, 30),
        ("te_b", BILLABLE, 30),
    ]
    assert pence_total(found) == 4250
    assert reason(found[0], terms, "remote") == "covered: 0.5 h of 2 h monthly allowance left"
    assert reason(found[2], terms, "remote") == (
        "billable at £85.00/h: the 2 h monthly allowance is used up; part of a split entry"
    )


def test_out_of_hours_work_not_covered_is_chargeable_at_the_adhoc_rate_with_the_uplift() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(10), out_of_hours_uplift_percent=50))
    evening = row(datetime(2026, 3, 2, 17), 60, key="te_evening")  # 17:00-18:00, office to 17:30
    saturday = row(datetime(2026, 3, 7, 10), 45, key="te_saturday")
    found = parts([evening, saturday], terms)
    assert [(p.key, p.billing_class, p.billed, p.out_of_hours) for p in found] == [
        ("te_evening", CHARGEABLE, 30, True),
        ("te_evening", COVERED, 30, False),
        ("te_saturday", CHARGEABLE, 45, True),
    ]
    # £95/h + 50% = £142.50/h: 30 min = £71.25; 45 min = £106.875, rounded half up £106.88.
    assert [p.amount for p in found] == [7125, 0, 10688]
    assert reason(found[2], terms, "remote") == (
        "chargeable at the ad-hoc rate £95.00/h: out of hours, not covered by Managed 2026, "
        "+50% out of hours"
    )


def test_out_of_hours_work_covered_by_the_contract_consumes_allowance_without_uplift() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(1), scope={"covers_out_of_hours": True}))
    evening = row(datetime(2026, 3, 2, 17), 90, key="te_evening")  # 30 in hours, 60 out
    found = parts([evening], terms)
    # Out of hours takes the allowance first (60 covered); the 30 in-hours minutes are billable.
    assert [(p.billing_class, p.billed, p.out_of_hours, p.amount) for p in found] == [
        (COVERED, 60, True, 0),
        (BILLABLE, 30, False, 4250),
    ]


def test_work_type_outside_the_scope_is_chargeable_and_leaves_the_allowance_alone() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(10)))  # scope: remote and phone
    onsite = row(datetime(2026, 3, 2, 10), 120, "onsite", key="te_onsite")
    remote = row(datetime(2026, 3, 2, 13), 30, key="te_remote")
    result = classify([onsite, remote], terms, HOURS, 600)
    found = [Part._make(p) for p in result.parts]
    assert [(p.billing_class, p.billed, p.amount) for p in found] == [
        (CHARGEABLE, 120, 19000),  # 2 h at £95
        (COVERED, 30, 0),
    ]
    assert result.allowance_left == 570
    assert "onsite work is outside the scope of Managed 2026" in reason(found[0], terms, "onsite")


def test_category_outside_the_scope_is_chargeable() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(10), scope={"category_ids": ["cat_net"]}))
    started = int(datetime(2026, 3, 2, 10, tzinfo=LONDON).timestamp())
    result = classify(
        [(started, "te_1", 60, "remote", "cat_print"), (started, "te_2", 60, "remote", "cat_net")],
        terms,
        HOURS,
        600,
    )
    assert [(p[0], p[1]) for p in result.parts] == [("te_1", CHARGEABLE), ("te_2", COVERED)]


def test_no_contract_makes_everything_chargeable_at_the_msps_adhoc_terms() -> None:
    found = parts([row(datetime(2026, 3, 2, 11), 20)], Terms.none())
    # 20 minutes rounded up to 30 (15-minute increments): 30 min at £95/h = £47.50.
    assert [(p.billing_class, p.worked, p.billed, p.amount) for p in found] == [
        (CHARGEABLE, 20, 30, 4750)
    ]
    assert reason(found[0], Terms.none(), "remote") == (
        "chargeable at the ad-hoc rate £95.00/h: no contract in force; "
        "rounded up to 15-minute increments"
    )


def test_rounding_increment_and_minimum_charge_apply_per_entry() -> None:
    terms = Terms.of(
        contract(
            kind=ContractKind.TIME_AND_MATERIALS,
            rates={"remote": Decimal("80.00")},
            rounding_minutes=6,
            minimum_charge_minutes=30,
            scope={"work_types": ["remote"]},
        )
    )
    rows = [
        row(datetime(2026, 3, 2, 10), 7, key="te_1"),  # minimum: 30 -> £40.00
        row(datetime(2026, 3, 2, 11), 31, key="te_2"),  # 36 -> £48.00
        row(datetime(2026, 3, 2, 12), 60, key="te_3"),  # 60 -> £80.00
    ]
    found = parts(rows, terms)
    assert [(p.billing_class, p.worked, p.billed, p.amount) for p in found] == [
        (BILLABLE, 7, 30, 4000),
        (BILLABLE, 31, 36, 4800),
        (BILLABLE, 60, 60, 8000),
    ]
    assert pence_total(found) == 16800
    assert reason(found[0], terms, "remote").endswith("; minimum charge 30 min")
    assert reason(found[0], terms, "remote").startswith("billable at £80.00/h: time and materials")


def test_internal_work_is_recorded_and_never_invoiced() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(1)))
    found = parts([row(datetime(2026, 3, 2, 10), 50, "internal")], terms)
    assert [(p.billing_class, p.worked, p.amount) for p in found] == [(NON_BILLABLE, 50, 0)]
    assert reason(found[0], terms, "internal") == ("non-billable: internal work is never invoiced")


def test_unlimited_managed_contract_covers_in_scope_time_without_limit() -> None:
    terms = Terms.of(contract(allowance_unlimited=True))
    found = parts([row(datetime(2026, 3, 2, 9), 480)], terms)
    assert [(p.billing_class, p.billed) for p in found] == [(COVERED, 480)]
    assert reason(found[0], terms, "remote") == "covered: included in Managed 2026 without limit"


def test_an_expired_block_covers_nothing_more() -> None:
    terms = Terms.of(
        contract(
            kind=ContractKind.PREPAID_BLOCK,
            allowance_hours=Decimal(40),
            allowance_period="block",
            block_expires_on=date(2026, 3, 4),
        )
    )
    expiry = int(datetime(2026, 3, 5, tzinfo=LONDON).timestamp())
    rows = [row(datetime(2026, 3, 4, 10), 60, key="te_1"), row(datetime(2026, 3, 5, 10), 60)]
    found = [Part._make(p) for p in classify(rows, terms, HOURS, 2400, expiry).parts]
    assert [p.billing_class for p in found] == [COVERED, BILLABLE]
    assert "the block expired on 2026-03-04" in reason(found[1], terms, "remote")


def test_invoice_draft_has_the_fee_one_line_per_class_and_rate_and_hand_checked_totals() -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(2), fixed_fee=Decimal("450.00")))
    rows = [
        row(datetime(2026, 3, 2, 10), 90, key="te_a"),
        row(datetime(2026, 3, 3, 10), 60, key="te_b"),
        row(datetime(2026, 3, 4, 10), 60, "onsite", key="te_c"),
    ]
    facts = {r[1]: EntryFacts(7, "ag_1", datetime.fromtimestamp(r[0], UTC), r[3]) for r in rows}
    run = ContractRun(terms, classify(rows, terms, HOURS, 120))
    draft = build_draft(
        DraftInput("cl_1", "Acme", "2026-03", [run], facts, fees=[terms]),
        datetime(2026, 4, 1, tzinfo=UTC),
    )
    # Fee £450; 30 billable minutes at £85 = £42.50; 60 chargeable onsite minutes at £95.
    assert [(line.description, line.amount) for line in draft.lines] == [
        ("Managed 2026: fixed fee for 2026-03", Decimal("450.00")),
        ("remote support, billable (Managed 2026)", Decimal("42.50")),
        ("onsite support, chargeable (Managed 2026)", Decimal("95.00")),
    ]
    assert draft.totals.total == Decimal("587.50")
    assert draft.totals.covered_minutes == 120
    assert draft.covered_by_contract == {"con_1": 120}
    assert len(draft.billing_lines) == 4
    assert draft.fingerprint == fingerprint(draft)


# --- periods -----------------------------------------------------------------------------------


def test_periods_follow_the_msps_calendar_months() -> None:
    # 00:30 on 1 April in London is still 31 March in UTC (BST): April's work.
    assert period_of(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), LONDON) == "2026-04"
    assert next_period("2026-12") == "2027-01"
    assert previous_period("2026-01") == "2025-12"
    start, end = period_bounds("2026-03", LONDON)
    assert (start, end) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 31, 23, tzinfo=UTC),
    )


# --- properties --------------------------------------------------------------------------------

WORK = ("remote", "phone", "onsite", "internal")
START, END = (int(t.timestamp()) for t in MARCH)


@st.composite
def entries(draw: st.DrawFn) -> list[Row]:
    count = draw(st.integers(min_value=1, max_value=25))
    out = []
    for i in range(count):
        started = draw(st.integers(min_value=START, max_value=END - 24 * 3600))
        out.append(
            (
                started - draw(st.sampled_from((0, started % 60))),  # minute-aligned or not
                f"te_{i:03d}",
                draw(st.integers(min_value=1, max_value=600)),
                draw(st.sampled_from(WORK)),
                draw(st.sampled_from((None, "cat_a", "cat_b"))),
            )
        )
    return out


@st.composite
def contracts(draw: st.DrawFn) -> Terms:
    if draw(st.booleans()) and draw(st.booleans()):
        return Terms.none()
    return Terms.of(
        contract(
            kind=draw(st.sampled_from(list(ContractKind))),
            allowance_hours=Decimal(draw(st.integers(min_value=0, max_value=30))),
            allowance_unlimited=draw(st.booleans()) and draw(st.booleans()),
            rounding_minutes=draw(st.sampled_from((1, 6, 15, 30))),
            minimum_charge_minutes=draw(st.sampled_from((0, 15, 60))),
            out_of_hours_uplift_percent=draw(st.sampled_from((0, 50, 100))),
            scope={
                "covers_out_of_hours": draw(st.booleans()),
                "category_ids": draw(st.sampled_from(([], ["cat_a"]))),
                "work_types": draw(st.sampled_from((["remote"], ["remote", "phone"], []))),
            },
        )
    )


@settings(max_examples=150, deadline=None)
@given(entries(), contracts(), st.randoms(use_true_random=False))
def test_the_order_entries_were_typed_in_changes_nothing(
    rows: list[Row], terms: Terms, rng: random.Random
) -> None:
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert classify(shuffled, terms, HOURS, terms.allowance_minutes) == classify(
        rows, terms, HOURS, terms.allowance_minutes
    )


@settings(max_examples=150, deadline=None)
@given(entries(), contracts())
def test_worked_and_billed_minutes_are_conserved_across_splits(
    rows: list[Row], terms: Terms
) -> None:
    result = classify(rows, terms, HOURS, terms.allowance_minutes)
    for _, key, minutes, work_type, _ in rows:
        mine = [Part._make(p) for p in result.parts if p[0] == key]
        assert sum(p.worked for p in mine) == minutes
        expected = (
            minutes
            if work_type in terms.non_billable
            else rounded_minutes(minutes, terms.rounding, terms.minimum)
        )
        assert sum(p.billed for p in mine) == expected
        assert all(p.amount >= 0 and p.billed > 0 for p in mine)
    by_class = totals_by_class(result.parts)
    if not terms.unlimited:
        assert by_class[COVERED][0] == result.covered
        assert 0 <= result.allowance_left == terms.allowance_minutes - result.covered
    assert by_class[COVERED][1] == by_class[NON_BILLABLE][1] == 0


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=START - 3 * 86400, max_value=END + 86400),
    st.integers(min_value=1, max_value=36 * 3600),
)
def test_working_time_table_agrees_with_the_calendar(start: int, length: int) -> None:
    expected = business_minutes_between(
        OFFICE,
        datetime.fromtimestamp(start, UTC),
        datetime.fromtimestamp(start, UTC) + timedelta(seconds=length),
    )
    assert HOURS.seconds(start, start + length) == round(expected * 60)


def test_working_time_table_is_exact_on_a_calendar_with_odd_boundaries() -> None:
    odd = CalendarFields.model_validate(
        {"name": "Odd", "week": {d: [{"start": "09:10", "end": "17:05"}] for d in range(1, 6)}}
    )
    table = WorkingTime(odd, *MARCH)
    start = int(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON).timestamp())
    assert table.seconds(start, start + 3600) == 50 * 60


def test_money_is_pounds_and_pence() -> None:
    assert money(10688) == Decimal("106.88")
    assert rounded_minutes(7, 6, 30) == 30
    assert rounded_minutes(31, 6, 0) == 36


@pytest.mark.parametrize("allowance", [0, 1, 59, 60, 61, 10_000])
def test_allowance_never_goes_negative_and_is_consumed_in_start_order(allowance: int) -> None:
    terms = Terms.of(contract(allowance_hours=Decimal(200)))
    rows = [row(datetime(2026, 3, 2 + i, 10), 60, key=f"te_{i}") for i in range(3)]
    result = classify(list(reversed(rows)), terms, HOURS, allowance)
    covered = [p[3] for p in result.parts if p[1] is COVERED]
    assert sum(covered) == min(allowance, 180)
    # The earliest entries take the allowance first.
    first_billable = next((p[0] for p in result.parts if p[1] is BILLABLE), None)
    assert all(p[0] <= (first_billable or "te_9") for p in result.parts if p[1] is COVERED)
