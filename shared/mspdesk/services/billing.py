"""Billing: a client's period turned into billing lines and an invoice draft (DESIGN section 6).

The same code answers the preview (what tonight's run would produce), the nightly run (which
saves it) and a re-run on demand. A run is idempotent per (client, period): it replaces the
draft, and writes nothing when the result is what the draft already says. Approval locks the
period; entries written later are billed in the next open period.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mspdesk.adapters.billing_queue import BillingJob, BillingQueue
from mspdesk.domain.billing import (
    ContractRun,
    DraftInput,
    EntryFacts,
    InvoiceDraft,
    InvoiceStatus,
    Row,
    Terms,
    WorkingTime,
    build_draft,
    check_period,
    classify,
    period_bounds,
    period_of_day,
    previous_period,
)
from mspdesk.domain.enums import Role
from mspdesk.domain.errors import Forbidden, NotFound, VersionConflict
from mspdesk.domain.events import DomainEvent
from mspdesk.domain.models import Calendar, CalendarFields, Contract, TimeEntry
from mspdesk.domain.scope import Scope
from mspdesk.services.deps import Deps
from mspdesk.store import entities as kinds
from mspdesk.store.billing import BillingStore, PeriodChanged, PeriodState
from mspdesk.store.dynamo import Page

_ATTEMPTS = 5
CSV_COLUMNS = (
    "client_id",
    "client_name",
    "period",
    "status",
    "description",
    "billing_class",
    "work_type",
    "out_of_hours",
    "hours",
    "rate",
    "uplift_percent",
    "amount",
    "currency",
)


@dataclass(frozen=True)
class RunResult:
    client_id: str
    period: str
    outcome: str  # "saved", "unchanged" or "locked"
    draft: InvoiceDraft | None


@dataclass
class _Context:
    """What one build reads once: the MSP's zone, the client's contracts, calendars and
    working-time tables."""

    zone: ZoneInfo
    contracts: list[Contract]
    calendars: dict[str, CalendarFields] = field(default_factory=dict)
    hours: dict[tuple[str, str], WorkingTime] = field(default_factory=dict)


def _staff(scope: Scope) -> None:
    if not scope.is_staff:
        raise NotFound("route", "billing")


class BillingService:
    def __init__(self, deps: Deps) -> None:
        self._d = deps
        self.billing = BillingStore(deps.store)

    # --- building -------------------------------------------------------------------------

    def _context(self, client_id: str) -> _Context:
        store = self._d.store
        contracts = list(store.every_entity(kinds.CONTRACTS, client_id))
        # Newest start first: the contract in force on a day is the first that covers it.
        contracts.sort(key=lambda c: (c.starts_on, c.id), reverse=True)
        return _Context(ZoneInfo(store.get_settings().time_zone), contracts)

    @staticmethod
    def _contract_on(context: _Context, day: date) -> Contract | None:
        return next((c for c in context.contracts if c.in_force_on(day)), None)

    def _calendar(self, context: _Context, contract: Contract | None) -> CalendarFields:
        key = contract.calendar_id if contract else ""
        if key not in context.calendars:
            found = self._d.store.find_entity(kinds.CALENDARS, key) if key else None
            context.calendars[key] = (
                found
                if isinstance(found, Calendar)
                else CalendarFields(name="Office hours", time_zone=context.zone.key)
            )
        return context.calendars[key]

    def _hours(self, context: _Context, contract: Contract | None, period: str) -> WorkingTime:
        key = (contract.calendar_id if contract else "", period)
        if key not in context.hours:
            start, end = period_bounds(period, context.zone)
            context.hours[key] = WorkingTime(self._calendar(context, contract), start, end)
        return context.hours[key]

    def _entries(self, client_id: str, period: str, zone: ZoneInfo) -> list[TimeEntry]:
        """The entries billed in a period: those that started in it (unless carried on from
        it when it was locked) and those carried into it."""
        start, end = period_bounds(period, zone)
        own = [
            e
            for e in self.billing.entries_between(client_id, start, end)
            if e.billing_period in (None, period)
        ]
        carried = self.billing.carried_entries(client_id, period)
        seen = {e.id for e in own}
        return own + [e for e in carried if e.id not in seen]

    def _categories(self, entries: Sequence[TimeEntry]) -> dict[int, str | None]:
        tickets = self._d.store.tickets_by_number(e.ticket_number for e in entries)
        return {number: t.category_id for number, t in tickets.items()}

    def _runs(
        self,
        client_id: str,
        period: str,
        context: _Context,
        entries: Sequence[TimeEntry],
        only: str | None = None,
    ) -> list[ContractRun]:
        """Classify a period's entries, contract by contract (`only`: one contract)."""
        categories = self._categories(entries)
        groups: dict[str | None, list[Row]] = defaultdict(list)
        by_id: dict[str, Contract] = {}
        for entry in entries:
            contract = self._contract_on(context, entry.started_at.astimezone(context.zone).date())
            contract_id = contract.id if contract else None
            if only is not None and contract_id != only:
                continue
            if contract is not None:
                by_id[contract.id] = contract
            groups[contract_id].append(
                (
                    int(entry.started_at.timestamp()),
                    entry.id,
                    entry.minutes,
                    entry.work_type,
                    categories.get(entry.ticket_number),
                )
            )
        runs: list[ContractRun] = []
        for contract_id, rows in groups.items():
            contract = by_id.get(contract_id or "")
            terms = Terms.of(contract) if contract else Terms.none()
            left = self._allowance_left(client_id, period, context, contract, terms)
            window_end = None
            if terms.allowance_period == "block" and terms.block_expires_on is not None:
                after = datetime.combine(
                    terms.block_expires_on + timedelta(days=1), time(0), tzinfo=context.zone
                )
                window_end = int(after.astimezone(UTC).timestamp())
            hours = self._hours(context, contract, period)
            runs.append(ContractRun(terms, classify(rows, terms, hours, left, window_end)))
        return runs

    def _allowance_left(
        self,
        client_id: str,
        period: str,
        context: _Context,
        contract: Contract | None,
        terms: Terms,
    ) -> int:
        """What the allowance window holds when `period` starts: the allowance less what the
        window's earlier periods consumed (an approved period as it was approved)."""
        if contract is None:
            return 0
        left = terms.allowance_minutes
        for earlier in terms.window_periods(period)[:-1]:
            state = self.billing.period(client_id, earlier)
            if state.locked and state.draft is not None:
                used = state.draft.covered_by_contract.get(contract.id, 0)
            else:
                entries = self._entries(client_id, earlier, context.zone)
                runs = self._runs(client_id, earlier, context, entries, only=contract.id)
                used = sum(r.classified.covered for r in runs)
            left = max(0, left - used)
        return left

    def build(self, client_id: str, period: str) -> InvoiceDraft:
        """What a run would produce now for a client's period (nothing is saved)."""
        check_period(period)
        client = self._d.store.find_entity(kinds.CLIENTS, client_id)
        if client is None:
            raise NotFound("client", client_id)
        context = self._context(client_id)
        entries = self._entries(client_id, period, context.zone)
        runs = self._runs(client_id, period, context, entries)
        fees = [t for t in (Terms.of(c) for c in context.contracts) if t.fee_due(period)]
        currencies = {r.terms.currency for r in runs if r.terms.contract_id} | {
            t.currency for t in fees
        }
        data = DraftInput(
            client_id=client_id,
            client_name=client.name,
            period=period,
            runs=runs,
            facts={
                e.id: EntryFacts(e.ticket_number, e.agent_id, e.started_at, e.work_type)
                for e in entries
            },
            fees=sorted(fees, key=lambda t: t.name),
            currency=min(currencies) if currencies else "GBP",
        )
        return build_draft(data, self._d.clock())

    # --- running --------------------------------------------------------------------------

    def run(self, client_id: str, period: str) -> RunResult:
        """Build and save the draft of a client's period; idempotent (see the module)."""
        for _ in range(_ATTEMPTS):
            state = self.billing.period(client_id, period)
            if state.locked:
                return RunResult(client_id, period, "locked", state.draft)
            draft = self.build(client_id, period)
            if (
                state.draft is not None
                and not state.stale
                and state.draft.fingerprint == draft.fingerprint
            ):
                return RunResult(client_id, period, "unchanged", state.draft)
            try:
                saved = self.billing.save_draft(state, draft)
            except PeriodChanged:
                continue  # an entry came in while we built: build again
            self._publish("InvoiceDraftSaved", saved)
            return RunResult(client_id, period, "saved", saved)
        raise VersionConflict("invoice", f"{client_id}/{period}", 0, None)

    def periods_to_run(self, now: datetime) -> list[str]:
        """The period of yesterday in the MSP's time zone, and the one before it (late entries
        keep coming until it is approved; a locked period is skipped by the run)."""
        zone = ZoneInfo(self._d.store.get_settings().time_zone)
        yesterday = now.astimezone(zone).date() - timedelta(days=1)
        current = period_of_day(yesterday)
        return [previous_period(current), current]

    def fan_out(self, queue: BillingQueue, run_id: str = "") -> int:
        """One job per client (active or not: its time is still billed), in batches of ten."""
        periods = self.periods_to_run(self._d.clock())
        sent = 0
        cursor = None
        while True:
            page = self._d.store.list_entities(
                kinds.CLIENTS, Scope.system(), limit=100, cursor=cursor
            )
            jobs = [BillingJob(client_id=c.id, periods=periods, run_id=run_id) for c in page.items]
            queue.send(jobs)
            sent += len(jobs)
            cursor = page.next_cursor
            if not cursor:
                return sent

    # --- the API's use cases ----------------------------------------------------------------

    def preview(self, scope: Scope, client_id: str, period: str) -> InvoiceDraft:
        _staff(scope)
        draft = self.build(client_id, period)
        state = self.billing.period(client_id, period)
        if state.locked and state.draft is not None:
            return self.billing.period(client_id, period, with_lines=True).draft or draft
        return draft

    def rerun(self, scope: Scope, client_id: str, period: str) -> InvoiceDraft:
        _staff(scope)
        result = self.run(client_id, check_period(period))
        if result.draft is None:
            raise NotFound("invoice", f"{client_id}/{period}")
        return self.invoice(scope, client_id, period)

    def invoice(self, scope: Scope, client_id: str, period: str) -> InvoiceDraft:
        _staff(scope)
        state = self.billing.period(client_id, check_period(period), with_lines=True)
        if state.draft is None:
            raise NotFound("invoice", f"{client_id}/{period}")
        return state.draft

    def invoices(
        self, scope: Scope, period: str, limit: int, cursor: str | None
    ) -> Page[InvoiceDraft]:
        _staff(scope)
        return self.billing.list_drafts(check_period(period), limit, cursor)

    def approve(
        self, scope: Scope, client_id: str, period: str, expected_version: int | None
    ) -> InvoiceDraft:
        """Lock the period with its draft as it is; refused when the draft is stale (an entry
        came in after it was built) or not the version the approver saw."""
        _staff(scope)
        if scope.role is not Role.ADMIN:
            raise Forbidden("an admin approves invoices")
        state: PeriodState = self.billing.period(client_id, check_period(period), with_lines=True)
        draft = state.draft
        if draft is None:
            raise NotFound("invoice", f"{client_id}/{period}")
        if state.locked:
            return draft
        if expected_version is not None and expected_version != draft.version:
            raise VersionConflict(
                "invoice", f"{client_id}/{period}", expected_version, draft.version
            )
        if state.stale:
            raise VersionConflict("invoice", f"{client_id}/{period}", draft.version, draft.version)
        approved = draft.model_copy(
            update={
                "status": InvoiceStatus.APPROVED,
                "approved_at": self._d.clock(),
                "approved_by": scope.principal_id,
            }
        )
        saved = self.billing.approve(state, approved)
        self._publish("InvoiceApproved", saved)
        return saved

    # --- export ---------------------------------------------------------------------------

    def export_csv(self, scope: Scope, client_id: str, period: str) -> str:
        """The invoice's lines as CSV: one row per fee and per billed class, work type and
        rate, amounts in the invoice's currency."""
        draft = self.invoice(scope, client_id, period)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for line in draft.lines:
            writer.writerow(
                [
                    draft.client_id,
                    _csv_safe(draft.client_name),
                    draft.period,
                    draft.status.value,
                    _csv_safe(line.description),
                    line.billing_class.value if line.billing_class else "fee",
                    line.work_type or "",
                    "yes" if line.out_of_hours else "no",
                    f"{line.hours:.2f}",
                    f"{line.rate:.2f}",
                    line.uplift_percent,
                    f"{line.amount:.2f}",
                    draft.currency,
                ]
            )
        return out.getvalue()

    def export_json(self, scope: Scope, client_id: str, period: str) -> dict[str, Any]:
        """For accounting integrations: the invoice, its lines and every entry's parts."""
        draft = self.invoice(scope, client_id, period)
        document: dict[str, Any] = draft.model_dump(mode="json", exclude={"stale"})
        document["total"] = str(draft.totals.total)
        return document

    def _publish(self, event_type: str, draft: InvoiceDraft) -> None:
        self._d.events.publish(
            [
                DomainEvent(
                    type=event_type,
                    client_id=draft.client_id,
                    detail={
                        "period": draft.period,
                        "version": draft.version,
                        "total": str(draft.totals.total),
                    },
                )
            ]
        )


def _csv_safe(text: str) -> str:
    """Spreadsheets run cells that start with these as formulas: keep them text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
