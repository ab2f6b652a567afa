"""Triage in the table (docs/data-model.md lists the items):

- a ticket's triage record: `TICKET#<n>` / `TRIAGE`, in the ticket's partition so the ticket
  detail reads it with the same Query (AP1); listed per month of triage in `by_parent` under
  `TRIAGE#<yyyy-mm>` by time, for the accuracy report; versioned, as agents' overrides change it;
- the vector index's state: `TRIAGE_INDEX` / `STATE`: how many resolved tickets it holds,
  with which embedder, and a generation that moves on each change, so that every container
  holding a copy of the embedded index knows when to reload it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import Field

from mspdesk.domain.enums import ActionKind, TicketStatus
from mspdesk.domain.errors import VersionConflict
from mspdesk.domain.models import Action, Model, Stored, Ticket, utcnow
from mspdesk.domain.triage import TriageRecord
from mspdesk.store import entities as kinds
from mspdesk.store import table
from mspdesk.store.codec import Item, item, load, s
from mspdesk.store.dynamo import LOAD_ONLY, DynamoStore

E = TypeVar("E", bound=Stored)

TRIAGE_SK = "TRIAGE"
FIRST_ACTIONS = 5
_MESSAGES = (ActionKind.NOTE, ActionKind.EMAIL_IN, ActionKind.CALL)


class IndexState(Model):
    generation: int = 0
    count: int = 0
    embedder: str | None = None
    dimension: int | None = None
    # The local text model was fitted on this many resolved tickets (0: no model yet).
    fitted_on: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


def _month(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m")


def _record_key(number: int) -> Item:
    return {table.PK: s(f"TICKET#{number}"), table.SK: s(TRIAGE_SK)}


def _record_item(record: TriageRecord) -> Item:
    created = record.created_at.astimezone(UTC).isoformat()
    return item(
        {
            table.PK: f"TICKET#{record.ticket_number}",
            table.SK: TRIAGE_SK,
            "version": record.version,
            table.BY_PARENT.pk: f"TRIAGE#{_month(record.created_at)}",
            table.BY_PARENT.sk: f"{created}#{record.ticket_number:010d}",
        },
        record,
    )


_STATE_KEY: Item = {table.PK: s("TRIAGE_INDEX"), table.SK: s("STATE")}


class TriageStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store

    def get(self, number: int, consistent: bool = False) -> TriageRecord | None:
        found = self.store.get_raw("triage", _record_key(number), consistent=consistent)
        return load(TriageRecord, found) if found else None

    def create(self, record: TriageRecord) -> bool:
        """False when the ticket was already triaged (a redelivered event)."""
        return self.store.put_new(_record_item(record))

    def save(self, record: TriageRecord, expected_version: int) -> None:
        if not self.store.put_versioned(_record_item(record), expected_version):
            raise VersionConflict("triage", str(record.ticket_number), expected_version, None)

    def triaged_between(self, start: datetime, end: datetime) -> Iterator[TriageRecord]:
        """Records made in [start, end): one Query per calendar month touched."""
        first, last = start.astimezone(UTC), end.astimezone(UTC)
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            for raw in self.store.query_all(
                "triage_period",
                IndexName=table.BY_PARENT.name,
                KeyConditionExpression="gsi1pk = :p AND gsi1sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":p": s(f"TRIAGE#{year:04d}-{month:02d}"),
                    ":a": s(first.isoformat()),
                    ":b": s(last.isoformat()),
                },
                **LOAD_ONLY,
            ):
                record = load(TriageRecord, raw)
                if first <= record.created_at < last:
                    yield record
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    # --- the index's state ---------------------------------------------------------------------

    def index_state(self) -> IndexState:
        found = self.store.get_raw("triage_index", _STATE_KEY, consistent=True)
        return load(IndexState, found) if found else IndexState()

    def put_index_state(self, state: IndexState) -> None:
        self.store.db.put_item(
            TableName=self.store.table_name,
            Item=item({table.PK: "TRIAGE_INDEX", table.SK: "STATE"}, state),
        )

    # --- what triage reads besides the ticket -------------------------------------------------

    def open_tickets_of(self, agent_id: str) -> int:
        """AP2 by assignee, counted: the agent's load for skill-based routing."""
        total = 0
        kwargs: dict[str, Any] = {
            "IndexName": table.QUEUE_AGENT.name,
            "KeyConditionExpression": "q_agent = :a",
            "ExpressionAttributeValues": {":a": s(agent_id)},
            "Select": "COUNT",
        }
        while True:
            response = self.store.query("agent_load", **kwargs)
            total += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def first_body(self, number: int) -> str:
        """The text the ticket was raised with: its first message (a note, mail or call; a
        change made in the same instant may sort before it)."""
        response = self.store.query(
            "first_action",
            KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
            ExpressionAttributeValues={":p": s(f"TICKET#{number}"), ":a": s("ACTION#")},
            Limit=FIRST_ACTIONS,
            **LOAD_ONLY,
        )
        actions = [load(Action, raw) for raw in response["Items"]]
        said = [a for a in actions if a.kind in _MESSAGES]
        return (said or actions)[0].body if actions else ""

    def resolved_tickets(self) -> Iterator[Ticket]:
        """Every resolved or closed ticket, client by client (AP3): the history to index."""
        for client in self.store.every_entity(kinds.CLIENTS):
            for raw in self.store.query_all(
                "client_history",
                IndexName=table.BY_OWNER.name,
                KeyConditionExpression="gsi2pk = :p",
                FilterExpression="#st IN (:r, :c)",
                ExpressionAttributeNames={"#st": "status", "#data": "data"},
                ExpressionAttributeValues={
                    ":p": s(f"CLIENT#{client.id}#ticket"),
                    ":r": s(TicketStatus.RESOLVED.value),
                    ":c": s(TicketStatus.CLOSED.value),
                },
                ProjectionExpression="pk, sk, #data",
            ):
                yield load(Ticket, raw)
