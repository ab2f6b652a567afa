"""The SLA monitor's items: AP7 paged, and the markers that make each announcement and each
notification happen once.

A marker is claimed by a conditional put before its effect (an event published, an email
sent) and completed after it. A claim that was never completed (its owner failed or died
half-way) may be taken over once it is older than CLAIM_SECONDS, so a failure is retried by
the next check or sweep but a concurrent duplicate never runs. Markers live in a partition of
their own per ticket (`SLA#<number>`), outside the ticket's AP1 partition, and expire by TTL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from mspdesk.domain.models import Ticket
from mspdesk.store import table
from mspdesk.store.codec import load, n, s, text
from mspdesk.store.dynamo import DynamoStore

# Longer than any handler that claims runs (the sla_monitor times out at two minutes).
CLAIM_SECONDS = 180
MARKER_DAYS = 400
CLAIMED = "claimed"
DONE = "done"


@dataclass(frozen=True)
class MarkerKey:
    """One effect of one announcement: (ticket, clock, SLA version, level[, channel])."""

    number: int
    clock: str
    version: int
    level: str  # "warning" or "breached"
    channel: str = "event"

    @property
    def pk(self) -> str:
        return f"SLA#{self.number}"

    @property
    def sk(self) -> str:
        return f"{self.clock}#v{self.version:06d}#{self.level}#{self.channel}"

    def of(self, channel: str) -> MarkerKey:
        return MarkerKey(self.number, self.clock, self.version, self.level, channel)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


class SlaStore:
    """Built on DynamoStore's public primitives: the table, its client and its read counter."""

    def __init__(self, store: DynamoStore) -> None:
        self._store = store

    def due_pages(
        self, instant: datetime, page: int = 100, pages: int = 50
    ) -> Iterator[list[Ticket]]:
        """AP7 in pages: open tickets whose next SLA instant is at or before `instant`, at
        most `pages` pages a call (a sweep is bounded; the next one carries on)."""
        cursor: str | None = None
        for _ in range(pages):
            raw, cursor = self._store.query_page(
                "sla_due",
                table.SLA_DUE,
                "sla_pk = :p AND sla_sk <= :t",
                {":p": s("SLA"), ":t": s(f"{_iso(instant)}#~")},
                page,
                cursor,
                hint="sla-sweep",
            )
            if raw:
                yield [load(Ticket, r) for r in raw]
            if cursor is None:
                return

    def claim(self, key: MarkerKey, owner: str, now: datetime) -> bool:
        """Claim the marker for `owner`; False when it is done, or claimed by another owner
        less than CLAIM_SECONDS ago."""
        try:
            self._store.db.put_item(
                TableName=self._store.table_name,
                Item={
                    table.PK: s(key.pk),
                    table.SK: s(key.sk),
                    "state": s(CLAIMED),
                    "owner": s(owner),
                    "claimed_at": s(_iso(now)),
                    table.TTL_ATTRIBUTE: n(int(now.timestamp()) + MARKER_DAYS * 86_400),
                },
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#state = :claimed AND "
                    "(#owner = :owner OR claimed_at < :stale))"
                ),
                ExpressionAttributeNames={"#state": "state", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":claimed": s(CLAIMED),
                    ":owner": s(owner),
                    ":stale": s(_iso(now - timedelta(seconds=CLAIM_SECONDS))),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def complete(self, key: MarkerKey, owner: str, now: datetime) -> None:
        """Mark the effect done. Only the owner may: a claim taken over because its owner was
        too slow stays with the new owner."""
        try:
            self._store.db.update_item(
                TableName=self._store.table_name,
                Key={table.PK: s(key.pk), table.SK: s(key.sk)},
                UpdateExpression="SET #state = :done, done_at = :at",
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#state": "state", "#owner": "owner"},
                ExpressionAttributeValues={
                    ":done": s(DONE),
                    ":at": s(_iso(now)),
                    ":owner": s(owner),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def release(self, key: MarkerKey, owner: str) -> None:
        """Give a claim back after the effect failed, so that a retry may run it at once."""
        try:
            self._store.db.delete_item(
                TableName=self._store.table_name,
                Key={table.PK: s(key.pk), table.SK: s(key.sk)},
                ConditionExpression="#state = :claimed AND #owner = :owner",
                ExpressionAttributeNames={"#state": "state", "#owner": "owner"},
                ExpressionAttributeValues={":claimed": s(CLAIMED), ":owner": s(owner)},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def state(self, key: MarkerKey) -> str | None:
        """The marker's state ("claimed", "done") or None: for the tests and the console."""
        found = self._store.get_raw(
            "sla_marker", {table.PK: s(key.pk), table.SK: s(key.sk)}, consistent=True
        )
        return text(found, "state") if found else None
