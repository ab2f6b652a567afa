"""Timers, time entries and invoice drafts in the one table (docs/data-model.md).

| item | pk | sk | other keys |
| --- | --- | --- | --- |
| timer | `TICKET#<n>` | `TIMER#<agent id>` | `gsi2pk` `AGENT#<id>#timer` / started |
| time entry | `TICKET#<n>` | `TIME#<started>#<id>` | `gsi2pk` `CLIENT#<id>#time` / started (AP9) |
| period | `BILLING#<client>` | `PERIOD#<YYYY-MM>` | `gsi1pk` `INVOICES#<period>` / client |
| draft's lines | `BILLING#<client>` | `LINES#<period>#<build>#<nnn>` | |
| carried entry | `BILLING#<client>` | `CARRY#<period>#<entry id>` | |

The period item is the lock of a (client, period): every time-entry write adds one to its
`revision` in the same transaction, on condition that the period is not `locked`; a draft
records the revision it was built from, so a later write shows it stale, and approval locks the
period only if the draft is of the current revision. An entry whose own period is locked is
billed in the next open period (a `CARRY` item there).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from mspdesk.domain.billing import BillingLine, InvoiceDraft, InvoiceStatus, PeriodLocked
from mspdesk.domain.errors import NotFound, VersionConflict
from mspdesk.domain.models import TimeEntry
from mspdesk.domain.timers import Timer
from mspdesk.store import table
from mspdesk.store.codec import Item, decode_cursor, encode_cursor, load, n, s
from mspdesk.store.dynamo import DynamoStore, Page

LINES_PER_ITEM = 200  # ~100 KB of JSON: well under DynamoDB's 400 KB item limit
_LOCKED = "locked"


class PeriodChanged(Exception):
    """The period was written (an entry, a run, an approval) since it was read."""


@dataclass(frozen=True)
class PeriodState:
    client_id: str
    period: str
    revision: int = 0
    locked: bool = False
    draft: InvoiceDraft | None = None
    build: str | None = None
    chunks: int = 0

    @property
    def stale(self) -> bool:
        return self.draft is not None and self.draft.built_revision != self.revision


@dataclass(frozen=True)
class EntryWrite:
    """An entry to put (or delete), the period it is billed in and whether it is carried
    there from an earlier, locked period."""

    entry: TimeEntry
    period: str
    carried: bool = False


def iso(at: datetime) -> str:
    """Instants in keys, as the store writes them (mspdesk.store.dynamo)."""
    return at.astimezone(UTC).isoformat()


def _failed_conditions(error: ClientError) -> list[int] | None:
    """Indexes of the transaction's items whose condition failed; None for another error."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return [0]
    if code != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    failed = [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
    if failed or "ConditionalCheckFailed" in error.response.get("Error", {}).get("Message", ""):
        return failed
    return None


class BillingStore:
    """The repository of timers, time entries and billing periods, on DynamoStore's
    primitives."""

    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self.db = store.db
        self.table_name = store.table_name

    # --- timers --------------------------------------------------------------------------

    @staticmethod
    def timer_key(number: int, agent_id: str) -> Item:
        return {table.PK: s(f"TICKET#{number}"), table.SK: s(f"TIMER#{agent_id}")}

    def _timer_item(self, timer: Timer) -> Item:
        return {
            **self.timer_key(timer.ticket_number, timer.agent_id),
            "gsi2pk": s(f"AGENT#{timer.agent_id}#timer"),
            "gsi2sk": s(f"{iso(timer.started_at)}#{timer.ticket_number:010d}"),
            "version": n(timer.version),
            "data": s(timer.model_dump_json()),
        }

    def get_timer(self, number: int, agent_id: str) -> Timer | None:
        found = self.store.get_raw("timer", self.timer_key(number, agent_id), consistent=True)
        return load(Timer, found) if found else None

    def put_timer(self, timer: Timer, previous_version: int | None) -> bool:
        """Create (previous None: only if the agent has none on this ticket) or replace the
        timer of that version; False when someone else got there first."""
        kwargs: dict[str, Any] = {"TableName": self.table_name, "Item": self._timer_item(timer)}
        if previous_version is None:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            kwargs["ConditionExpression"] = "version = :v"
            kwargs["ExpressionAttributeValues"] = {":v": n(previous_version)}
        try:
            self.db.put_item(**kwargs)
        except ClientError as error:
            if _failed_conditions(error) is None:
                raise
            return False
        return True

    def delete_timer(self, timer: Timer) -> bool:
        try:
            self.db.delete_item(
                TableName=self.table_name,
                Key=self.timer_key(timer.ticket_number, timer.agent_id),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": n(timer.version)},
            )
        except ClientError as error:
            if _failed_conditions(error) is None:
                raise
            return False
        return True

    def timers_of_agent(self, agent_id: str, limit: int = 50) -> list[Timer]:
        raw, _ = self.store.query_page(
            "timers_of_agent",
            table.BY_OWNER,
            "gsi2pk = :p",
            {":p": s(f"AGENT#{agent_id}#timer")},
            limit,
            None,
            hint="",
            forward=False,
        )
        return [load(Timer, r) for r in raw]

    # --- time entries --------------------------------------------------------------------

    @staticmethod
    def entry_key(entry: TimeEntry) -> Item:
        return {
            table.PK: s(f"TICKET#{entry.ticket_number}"),
            table.SK: s(f"TIME#{iso(entry.started_at)}#{entry.id}"),
        }

    def _entry_item(self, entry: TimeEntry) -> Item:
        started = iso(entry.started_at)
        return {
            **self.entry_key(entry),
            "gsi2pk": s(f"CLIENT#{entry.client_id}#time"),
            "gsi2sk": s(f"{started}#{entry.id}"),
            "version": n(entry.version),
            "data": s(entry.model_dump_json()),
        }

    @staticmethod
    def _period_key(client_id: str, period: str) -> Item:
        return {table.PK: s(f"BILLING#{client_id}"), table.SK: s(f"PERIOD#{period}")}

    @staticmethod
    def _carry_key(client_id: str, period: str, entry_id: str) -> Item:
        return {table.PK: s(f"BILLING#{client_id}"), table.SK: s(f"CARRY#{period}#{entry_id}")}

    def entries_of_ticket(self, number: int) -> list[TimeEntry]:
        return [
            load(TimeEntry, raw)
            for raw in self.store.query_all(
                "time_entries_of_ticket",
                KeyConditionExpression="pk = :p AND begins_with(sk, :t)",
                ExpressionAttributeValues={":p": s(f"TICKET#{number}"), ":t": s("TIME#")},
                ConsistentRead=True,
            )
        ]

    def write_entries(
        self,
        put: EntryWrite | None,
        delete: EntryWrite | None = None,
        extra: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Put an entry, replace one (put and delete of the same id) or delete one, with the
        revisions of their periods, in one transaction. `extra` operations ride along (a
        timer's deletion). Raises PeriodLocked when a period is locked, VersionConflict when
        the entry changed meanwhile."""
        operations: list[dict[str, Any]] = []
        periods: list[tuple[str, str]] = []
        same_key = (
            put is not None
            and delete is not None
            and self.entry_key(put.entry) == self.entry_key(delete.entry)
        )
        if delete is not None and not same_key:
            operations.append(
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": self.entry_key(delete.entry),
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": n(delete.entry.version)},
                    }
                }
            )
        if put is not None:
            main: dict[str, Any] = {
                "TableName": self.table_name,
                "Item": self._entry_item(put.entry),
            }
            if same_key and delete is not None:
                main["ConditionExpression"] = "version = :v"
                main["ExpressionAttributeValues"] = {":v": n(delete.entry.version)}
            else:
                main["ConditionExpression"] = "attribute_not_exists(pk)"
            operations.append({"Put": main})
        writes = [w for w in (delete, put) if w is not None]
        for write in writes:
            key = (write.entry.client_id, write.period)
            if key not in periods:
                periods.append(key)
        if put is not None and put.carried:
            operations.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            **self._carry_key(put.entry.client_id, put.period, put.entry.id),
                            "data": s(json.dumps(self.entry_key(put.entry))),
                        },
                    }
                }
            )
        if (
            delete is not None
            and delete.carried
            and not (put is not None and put.carried and put.period == delete.period)
        ):
            carry = self._carry_key(delete.entry.client_id, delete.period, delete.entry.id)
            operations.append({"Delete": {"TableName": self.table_name, "Key": carry}})
        period_index = len(operations)
        for client_id, period in periods:
            operations.append(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": self._period_key(client_id, period),
                        "UpdateExpression": "ADD revision :one",
                        "ConditionExpression": "attribute_not_exists(#locked)",
                        "ExpressionAttributeNames": {"#locked": _LOCKED},
                        "ExpressionAttributeValues": {":one": n(1)},
                    }
                }
            )
        operations.extend(extra)
        try:
            self.db.transact_write_items(TransactItems=operations)
        except ClientError as error:
            failed = _failed_conditions(error)
            if failed is None:
                raise
            locked = [
                periods[i - period_index]
                for i in failed
                if period_index <= i < period_index + len(periods)
            ]
            if locked:
                raise PeriodLocked(*locked[0]) from error
            entry = writes[0].entry
            raise VersionConflict("time_entry", entry.id, entry.version, None) from error

    def entries_between(self, client_id: str, start: datetime, end: datetime) -> list[TimeEntry]:
        """AP9, read-only through the store."""
        return self.store.time_entries_of_client(client_id, start, end)

    def carried_entries(self, client_id: str, period: str) -> list[TimeEntry]:
        keys = [
            json.loads(raw["data"]["S"])
            for raw in self.store.query_all(
                "carried_entries",
                KeyConditionExpression="pk = :p AND begins_with(sk, :c)",
                ExpressionAttributeValues={
                    ":p": s(f"BILLING#{client_id}"),
                    ":c": s(f"CARRY#{period}#"),
                },
                ConsistentRead=True,
            )
        ]
        return [load(TimeEntry, raw) for raw in self.store.batch_get_raw(keys)] if keys else []

    # --- billing periods and drafts ------------------------------------------------------

    def period(self, client_id: str, period: str, with_lines: bool = False) -> PeriodState:
        found = self.store.get_raw(
            "billing_period", self._period_key(client_id, period), consistent=True
        )
        return self._state(client_id, period, found, with_lines)

    def _state(
        self, client_id: str, period: str, found: Item | None, with_lines: bool
    ) -> PeriodState:
        if found is None:
            return PeriodState(client_id, period)
        revision = int(found.get("revision", {}).get("N", "0"))
        draft = load(InvoiceDraft, found) if "data" in found else None
        build = found.get("build", {}).get("S")
        chunks = int(found.get("chunks", {}).get("N", "0"))
        if draft is not None:
            draft = draft.model_copy(update={"stale": draft.built_revision != revision})
            if with_lines and build:
                draft = draft.model_copy(
                    update={"billing_lines": self._lines(client_id, period, build)}
                )
        return PeriodState(client_id, period, revision, _LOCKED in found, draft, build, chunks)

    def _lines(self, client_id: str, period: str, build: str) -> list[BillingLine]:
        lines: list[BillingLine] = []
        for raw in self.store.query_all(
            "draft_lines",
            KeyConditionExpression="pk = :p AND begins_with(sk, :l)",
            ExpressionAttributeValues={
                ":p": s(f"BILLING#{client_id}"),
                ":l": s(f"LINES#{period}#{build}#"),
            },
            ConsistentRead=True,
        ):
            lines.extend(BillingLine.model_validate(x) for x in json.loads(raw["data"]["S"]))
        return lines

    def _write_lines(
        self, client_id: str, period: str, build: str, lines: list[BillingLine]
    ) -> int:
        chunks = [lines[i : i + LINES_PER_ITEM] for i in range(0, len(lines), LINES_PER_ITEM)]
        items = [
            {
                table.PK: s(f"BILLING#{client_id}"),
                table.SK: s(f"LINES#{period}#{build}#{number:04d}"),
                "data": s("[" + ",".join(line.model_dump_json() for line in chunk) + "]"),
            }
            for number, chunk in enumerate(chunks)
        ]
        self._batch([{"PutRequest": {"Item": i}} for i in items])
        return len(items)

    def _delete_lines(self, client_id: str, period: str, build: str, count: int) -> None:
        self._batch(
            [
                {
                    "DeleteRequest": {
                        "Key": {
                            table.PK: s(f"BILLING#{client_id}"),
                            table.SK: s(f"LINES#{period}#{build}#{number:04d}"),
                        }
                    }
                }
                for number in range(count)
            ]
        )

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self.table_name: requests[start : start + 25]}
            while pending:
                pending = (
                    self.db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                )

    def save_draft(self, state: PeriodState, draft: InvoiceDraft) -> InvoiceDraft:
        """Replace the period's draft with `draft`, built from `state` (its revision): raises
        PeriodChanged when an entry, another run or an approval came in between."""
        build = secrets.token_hex(4)
        chunks = self._write_lines(state.client_id, state.period, build, draft.billing_lines)
        previous_version = state.draft.version if state.draft else 0
        saved = draft.model_copy(
            update={
                "version": previous_version + 1,
                "built_revision": state.revision,
                "stale": False,
                "status": InvoiceStatus.DRAFT,
            }
        )
        header = saved.model_copy(update={"billing_lines": []})
        condition = ["attribute_not_exists(#locked)"]
        values: dict[str, Any] = {
            ":data": s(header.model_dump_json()),
            ":version": n(saved.version),
            ":build": s(build),
            ":chunks": n(chunks),
            ":list": s(f"INVOICES#{state.period}"),
            ":sort": s(f"{draft.client_name.lower()}#{state.client_id}"),
            ":zero": n(0),
        }
        if state.revision:
            condition.append("revision = :revision")
            values[":revision"] = n(state.revision)
        else:
            condition.append("attribute_not_exists(revision)")
        if previous_version:
            condition.append("version = :previous")
            values[":previous"] = n(previous_version)
        else:
            condition.append("attribute_not_exists(version)")
        try:
            self.db.update_item(
                TableName=self.table_name,
                Key=self._period_key(state.client_id, state.period),
                UpdateExpression=(
                    "SET #data = :data, version = :version, build = :build, chunks = :chunks, "
                    "gsi1pk = :list, gsi1sk = :sort, revision = if_not_exists(revision, :zero)"
                ),
                ConditionExpression=" AND ".join(condition),
                ExpressionAttributeNames={"#data": "data", "#locked": _LOCKED},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            self._delete_lines(state.client_id, state.period, build, chunks)
            if _failed_conditions(error) is None:
                raise
            raise PeriodChanged from error
        if state.build:
            self._delete_lines(state.client_id, state.period, state.build, state.chunks)
        return saved

    def approve(self, state: PeriodState, approved: InvoiceDraft) -> InvoiceDraft:
        """Lock the period with its draft approved, if the draft is still the one of
        `state` and of the current revision."""
        if state.draft is None:
            raise NotFound("invoice", f"{state.client_id}/{state.period}")
        saved = approved.model_copy(
            update={"version": state.draft.version + 1, "status": InvoiceStatus.APPROVED}
        )
        header = saved.model_copy(update={"billing_lines": []})
        try:
            self.db.update_item(
                TableName=self.table_name,
                Key=self._period_key(state.client_id, state.period),
                UpdateExpression="SET #data = :data, version = :version, #locked = :yes",
                # The draft shown is the latest, and no entry came in after it was built.
                ConditionExpression=(
                    "version = :previous AND revision = :revision AND attribute_not_exists(#locked)"
                ),
                ExpressionAttributeNames={"#data": "data", "#locked": _LOCKED},
                ExpressionAttributeValues={
                    ":data": s(header.model_dump_json()),
                    ":version": n(saved.version),
                    ":previous": n(state.draft.version),
                    ":revision": n(state.draft.built_revision),
                    ":yes": s("yes"),
                },
            )
        except ClientError as error:
            if _failed_conditions(error) is None:
                raise
            current = self.period(state.client_id, state.period)
            raise VersionConflict(
                "invoice",
                f"{state.client_id}/{state.period}",
                state.draft.version,
                current.draft.version if current.draft else None,
            ) from error
        return saved

    def list_drafts(self, period: str, limit: int, cursor: str | None) -> Page[InvoiceDraft]:
        """The drafts of a period across clients, by client name (a Query of `by_parent`)."""
        kwargs: dict[str, Any] = {
            "IndexName": table.BY_PARENT.name,
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": s(f"INVOICES#{period}")},
            "Limit": max(1, min(limit, 100)),
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = decode_cursor(cursor, "invoices", period)
        response = self.store.query("list_invoices", **kwargs)
        drafts = []
        for raw in response["Items"]:
            client_id = raw[table.PK]["S"].removeprefix("BILLING#")
            state = self._state(client_id, period, raw, with_lines=False)
            if state.draft is not None:
                drafts.append(state.draft)
        last = response.get("LastEvaluatedKey")
        return Page(drafts, encode_cursor("invoices", last, period) if last else None)
