"""Timers, time entries and the nightly run against moto: the store's conditional writes and
the run's idempotency per (client, period), with totals computed by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.time_billing import handler
from mspdesk.adapters.billing_queue import (
    BillingJob,
    InProcessBillingQueue,
    SqsBillingQueue,
)
from mspdesk.config import Settings
from mspdesk.domain.billing import BillingClass, InvoiceStatus, PeriodLocked
from mspdesk.domain.enums import TimerMode
from mspdesk.domain.errors import Forbidden, NotFound, VersionConflict
from mspdesk.domain.timers import TimerState
from mspdesk.runtime import aws_client
from mspdesk.services.admin import lookup
from mspdesk.services.billing import BillingService
from mspdesk.services.deps import Deps
from mspdesk.services.time_capture import (
    TimeCaptureService,
    TimeEntryInput,
    TimeEntryPatch,
    TimerConfirm,
    TimerStart,
)
from tests.conftest import Clock
from tests.unit.builders import ADMIN, Desk, agent_scope, build_desk

# Monday 2 March 2026, 10:00 UTC (GMT: London time too).
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def desk(deps: Deps) -> Desk:
    desk = build_desk(deps)
    # Client A's contract: 2 h a month covered, remote at £85, ad hoc £95, a £450 fee.
    desk.admin.update(
        ADMIN,
        _managed("contracts"),
        desk.contract_a.id,
        {"allowance_hours": "2", "rates": {"remote": "85.00"}, "fixed_fee": "450.00"},
        None,
    )
    return desk


def _managed(path: str) -> Any:
    return lookup(path)


@pytest.fixture
def timers(deps: Deps) -> TimeCaptureService:
    return TimeCaptureService(deps)


@pytest.fixture
def billing(deps: Deps) -> BillingService:
    return BillingService(deps)


def log(
    timers: TimeCaptureService, desk: Desk, number: int, at: datetime, minutes: int, **extra: Any
) -> Any:
    return timers.add_entry(
        desk.agent_scope, number, TimeEntryInput(started_at=at, minutes=minutes, **extra)
    )


@pytest.fixture
def ticket(desk: Desk, clock: Clock) -> int:
    number = desk.ticket().number
    clock.now = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # the night after March
    return number


# --- the nightly run ---------------------------------------------------------------------------


def test_run_turns_the_periods_entries_into_lines_and_a_draft_with_hand_checked_totals(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    log(timers, desk, ticket, MONDAY, 90)  # covered, 30 min left
    log(timers, desk, ticket, MONDAY + timedelta(days=1), 60)  # 30 covered, 30 billable
    log(timers, desk, ticket, MONDAY + timedelta(days=2), 60, work_type="onsite")  # chargeable
    result = billing.run(desk.client_a.id, "2026-03")
    assert result.outcome == "saved"
    draft = billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03")
    # £450 fee + 30 min at £85 (£42.50) + 60 min onsite at £95.
    assert draft.totals.total == Decimal("587.50")
    assert (draft.totals.covered_minutes, draft.totals.billable_minutes) == (120, 30)
    assert draft.totals.chargeable_minutes == 60
    assert [line.billing_class for line in draft.billing_lines] == [
        BillingClass.COVERED,
        BillingClass.COVERED,
        BillingClass.BILLABLE,
        BillingClass.CHARGEABLE,
    ]
    assert draft.billing_lines[0].reason == "covered: 0.5 h of 2 h monthly allowance left"


def test_a_rerun_of_the_nightly_job_changes_nothing(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    log(timers, desk, ticket, MONDAY, 90)
    first = billing.run(desk.client_a.id, "2026-03")
    again = billing.run(desk.client_a.id, "2026-03")
    assert (first.outcome, again.outcome) == ("saved", "unchanged")
    draft = billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03")
    assert draft.version == 1
    assert draft.fingerprint == first.draft.fingerprint if first.draft else False
    page = billing.invoices(desk.agent_scope, "2026-03", 50, None)
    assert [d.client_id for d in page.items] == [desk.client_a.id]


def test_a_late_entry_reopens_the_draft_and_the_next_run_replaces_it(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    log(timers, desk, ticket, MONDAY, 120)
    billing.run(desk.client_a.id, "2026-03")
    log(timers, desk, ticket, MONDAY + timedelta(days=3), 30)  # typed in April for March
    stale = billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03")
    assert stale.stale and stale.totals.billable_minutes == 0
    with pytest.raises(VersionConflict):
        billing.approve(ADMIN, desk.client_a.id, "2026-03", stale.version)
    result = billing.run(desk.client_a.id, "2026-03")
    assert result.outcome == "saved"
    fresh = billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03")
    # 120 covered, then the late 30 minutes billable at £85: £42.50 besides the £450 fee.
    assert (fresh.version, fresh.stale, fresh.totals.total) == (2, False, Decimal("492.50"))
    assert len(fresh.billing_lines) == 2


def test_approval_locks_the_period_and_later_entries_roll_into_the_next(
    desk: Desk,
    timers: TimeCaptureService,
    billing: BillingService,
    ticket: int,
) -> None:
    entry = log(timers, desk, ticket, MONDAY, 60)
    draft = billing.run(desk.client_a.id, "2026-03").draft
    assert draft is not None
    with pytest.raises(Forbidden):
        billing.approve(desk.agent_scope, desk.client_a.id, "2026-03", draft.version)
    approved = billing.approve(ADMIN, desk.client_a.id, "2026-03", draft.version)
    assert approved.status is InvoiceStatus.APPROVED
    assert billing.run(desk.client_a.id, "2026-03").outcome == "locked"
    with pytest.raises(PeriodLocked):
        timers.update_entry(desk.agent_scope, ticket, entry.id, TimeEntryPatch(minutes=90))
    late = log(timers, desk, ticket, MONDAY + timedelta(days=7), 45)
    assert late.billing_period == "2026-04"
    april = billing.build(desk.client_a.id, "2026-04")
    assert [line.entry_id for line in april.billing_lines] == [late.id]
    assert april.totals.covered_minutes == 45  # April's own allowance
    march = billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03")
    assert [line.entry_id for line in march.billing_lines] == [entry.id]


def test_block_allowance_carries_what_earlier_periods_left(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    desk.admin.update(
        ADMIN,
        _managed("contracts"),
        desk.contract_a.id,
        {"allowance_hours": "3", "allowance_period": "block", "fixed_fee": "0.00"},
        None,
    )
    log(timers, desk, ticket, datetime(2026, 2, 10, 10, tzinfo=UTC), 150)
    log(timers, desk, ticket, MONDAY, 60)
    march = billing.build(desk.client_a.id, "2026-03")
    # 3 h block from January: February used 2.5 h, so March covers 30 min and bills 30.
    assert (march.totals.covered_minutes, march.totals.billable_minutes) == (30, 30)


def test_preview_shows_what_the_run_saves(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    log(timers, desk, ticket, MONDAY, 20, note="printer")
    preview = billing.preview(desk.agent_scope, desk.client_a.id, "2026-03")
    saved = billing.run(desk.client_a.id, "2026-03").draft
    assert saved is not None and preview.fingerprint == saved.fingerprint
    with pytest.raises(NotFound):
        billing.preview(desk.alice_scope, desk.client_a.id, "2026-03")


def test_client_without_contract_is_charged_ad_hoc(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, clock: Clock
) -> None:
    clock.now = MONDAY - timedelta(hours=1)
    number = desk.ticket(client_id=desk.client_b.id, end_user_id=desk.bob.id).number
    clock.now = datetime(2026, 4, 1, tzinfo=UTC)
    log(timers, desk, number, MONDAY, 20)
    draft = billing.build(desk.client_b.id, "2026-03")
    # 20 minutes rounded to 30 at £95/h.
    assert draft.totals.total == Decimal("47.50")
    assert draft.billing_lines[0].reason.startswith("chargeable at the ad-hoc rate £95.00/h")


def test_export_csv_and_json(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    log(timers, desk, ticket, MONDAY, 150)
    billing.run(desk.client_a.id, "2026-03")
    text = billing.export_csv(desk.agent_scope, desk.client_a.id, "2026-03")
    lines = text.splitlines()
    assert lines[0].startswith("client_id,client_name,period,status,description")
    assert lines[1].endswith(",fee,,no,0.00,0.00,0,450.00,GBP")
    assert lines[2].endswith(",billable,remote,no,0.50,85.00,0,42.50,GBP")
    document = billing.export_json(desk.agent_scope, desk.client_a.id, "2026-03")
    assert document["total"] == "492.50"
    assert len(document["billing_lines"]) == 2


# --- the function: fan-out and worker ----------------------------------------------------------


def test_fan_out_sends_one_job_per_client_and_the_worker_saves_their_drafts(
    desk: Desk,
    timers: TimeCaptureService,
    billing: BillingService,
    ticket: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log(timers, desk, ticket, MONDAY, 30)
    monkeypatch.setattr(handler, "_service", billing)
    monkeypatch.setattr(handler, "_queue", InProcessBillingQueue(handler.work))
    assert handler.fan_out({"id": "run-1"}) == {"clients": 2}
    # The night of 1 April: March (and February) for each client.
    assert billing.periods_to_run(datetime(2026, 4, 1, 2, tzinfo=UTC)) == ["2026-02", "2026-03"]
    assert billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03").totals.covered_minutes
    response = handler.work(
        {"Records": [{"messageId": "m1", "body": "not json"}, *_records(desk.client_a.id)]}
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def _records(client_id: str) -> list[dict[str, Any]]:
    job = BillingJob(client_id=client_id, periods=["2026-03"])
    return [{"messageId": "m2", "body": job.model_dump_json()}]


def test_sqs_queue_takes_jobs_in_batches_of_ten(settings: Settings) -> None:
    sqs = aws_client("sqs", settings)
    url = sqs.create_queue(QueueName=f"{settings.table_name}-jobs")["QueueUrl"]
    SqsBillingQueue(sqs, url).send(
        [BillingJob(client_id=f"cl_{i}", periods=["2026-03"]) for i in range(23)]
    )
    received: set[str] = set()
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        received |= {BillingJob.model_validate_json(m["Body"]).client_id for m in got}
    assert received == {f"cl_{i}" for i in range(23)}


# --- timers ------------------------------------------------------------------------------------


def test_opening_a_ticket_starts_the_viewing_timer_once_and_a_second_tab_sees_it(
    desk: Desk, deps: Deps, clock: Clock
) -> None:
    number = desk.ticket().number
    first_tab, second_tab = TimeCaptureService(deps), TimeCaptureService(deps)
    started = first_tab.ticket_opened(desk.agent_scope, number)
    assert started is not None and started.mode is TimerMode.VIEWING
    again = second_tab.ticket_opened(desk.agent_scope, number)
    assert again is not None and again.id == started.id
    clock.now += timedelta(minutes=12)
    seen = second_tab.timer(desk.agent_scope, number)
    assert (seen.id, seen.elapsed(clock.now)) == (started.id, 12 * 60)


def test_a_doing_team_starts_timing_at_the_first_action_not_on_opening(
    desk: Desk, timers: TimeCaptureService
) -> None:
    desk.admin.update(ADMIN, _managed("teams"), desk.team.id, {"timer_mode": "doing"}, None)
    number = desk.ticket().number
    fresh = TimeCaptureService(timers._d)  # a container that has not cached the team
    assert fresh.ticket_opened(desk.agent_scope, number) is None
    with pytest.raises(NotFound):
        fresh.timer(desk.agent_scope, number)
    started = fresh.start(desk.agent_scope, number, TimerStart(mode=TimerMode.DOING))
    assert started.mode is TimerMode.DOING


def test_pause_resume_stop_proposes_the_time_that_ran_and_confirm_writes_it(
    desk: Desk, timers: TimeCaptureService, clock: Clock
) -> None:
    number = desk.ticket().number
    scope = desk.agent_scope
    timers.start(scope, number, TimerStart(work_type="phone", note="Called Alice"))
    clock.now += timedelta(minutes=10)
    timers.pause(scope, number)
    clock.now += timedelta(minutes=30)  # paused: does not count
    timers.resume(scope, number)
    clock.now += timedelta(minutes=5)
    stopped, proposal = timers.stop(scope, number)
    assert stopped.state is TimerState.STOPPED
    assert (proposal.minutes, proposal.work_type, proposal.note) == (15, "phone", "Called Alice")
    entry = timers.confirm(scope, number, TimerConfirm(minutes=20))
    assert (entry.minutes, entry.work_type, entry.timer_id) == (20, "phone", stopped.id)
    assert [e.id for e in timers.entries(scope, number)] == [entry.id]
    with pytest.raises(NotFound):
        timers.timer(scope, number)


def test_two_tabs_starting_at_once_get_one_timer(desk: Desk, deps: Deps) -> None:
    number = desk.ticket().number
    got: list[str] = []

    def start() -> None:
        timer = TimeCaptureService(deps).start(desk.agent_scope, number, TimerStart())
        got.append(timer.id)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and len(got) == 4


# --- time entries ------------------------------------------------------------------------------


def test_agents_change_only_their_own_entries(
    desk: Desk, timers: TimeCaptureService, ticket: int
) -> None:
    entry = log(timers, desk, ticket, MONDAY, 30)
    other = agent_scope(desk.other_agent)
    with pytest.raises(Forbidden):
        timers.update_entry(other, ticket, entry.id, TimeEntryPatch(minutes=45))
    changed = timers.update_entry(
        desk.agent_scope,
        ticket,
        entry.id,
        TimeEntryPatch(minutes=45, started_at=MONDAY + timedelta(hours=1)),
        entry.version,
    )
    assert (changed.minutes, changed.version) == (45, 2)
    with pytest.raises(VersionConflict):
        timers.update_entry(desk.agent_scope, ticket, entry.id, TimeEntryPatch(minutes=5), 1)
    timers.delete_entry(desk.agent_scope, ticket, entry.id)
    assert timers.entries(desk.agent_scope, ticket) == []
    with pytest.raises(NotFound):
        timers.entries(desk.alice_scope, ticket)


def test_scheduled_invocation_through_the_lambda_handler_fans_out(
    desk: Desk, billing: BillingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mspdesk.local.stack import LocalContext

    sent: list[BillingJob] = []

    class Recording:
        def send(self, jobs: Any) -> None:
            sent.extend(jobs)

    monkeypatch.setattr(handler, "_service", billing)
    monkeypatch.setattr(handler, "_queue", Recording())
    answer = handler.handler({"id": "ev-1", "source": "aws.scheduler"}, LocalContext("billing"))
    assert answer == {"clients": 2}
    assert {job.client_id for job in sent} == {desk.client_a.id, desk.client_b.id}
    assert all(job.run_id == "ev-1" for job in sent)


def test_entry_recorded_by_the_desk_reopens_the_draft_once(
    desk: Desk, timers: TimeCaptureService, billing: BillingService, ticket: int
) -> None:
    billing.run(desk.client_a.id, "2026-03")
    entry = log(timers, desk, ticket, MONDAY, 10).model_copy(update={"id": "te_call_1"})
    assert timers.record(entry) is not None
    assert timers.record(entry) is None  # the same call's time, delivered twice
    assert billing.invoice(desk.agent_scope, desk.client_a.id, "2026-03").stale
