"""Calls in the table, beside the tickets: `CALL#<id>` / `CALL`, in the `recent` index (AP13)
by start time and, while an agent still has to deal with it (an unknown caller, a call-back),
in `by_parent` under `CALLS#unmatched` or `CALLS#callback`. A 3CX lookup waiting for its
journal is `CTI_PENDING#3cx#<E.164>` / `PENDING` with a TTL. docs/cti.md lists every item.

Built on DynamoStore's public primitives; SDK errors become domain errors here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from mspdesk.domain.calls import Call, CallProvider, CallState
from mspdesk.domain.errors import InvalidInput, VersionConflict
from mspdesk.store import table
from mspdesk.store.codec import Item, decode_cursor, encode_cursor, item, load, s, text
from mspdesk.store.dynamo import MAX_PAGE, DynamoStore, Page

CALL_SK = "CALL"
UNMATCHED = "CALLS#unmatched"
CALLBACKS = "CALLS#callback"
_RECENT = "recent_calls"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _recent_key(raw: Item) -> Item:
    """Where a Query of the recent index resumes after this item."""
    return {k: raw[k] for k in (table.PK, table.SK, table.RECENT.pk, table.RECENT.sk)}


def _call_key(call_id: str) -> Item:
    return {table.PK: s(f"CALL#{call_id}"), table.SK: s(CALL_SK)}


def call_item(call: Call) -> Item:
    created = iso(call.started_at)
    attrs: dict[str, str | int | None] = {
        table.PK: f"CALL#{call.id}",
        table.SK: CALL_SK,
        "version": call.version,
        "client_id": call.client_id,
        table.RECENT.pk: f"RECENT#{call.started_at.astimezone(UTC).date().isoformat()}",
        table.RECENT.sk: f"{created}#CALL#{call.id}",
    }
    waiting = None
    if call.client_id is None and call.state is not CallState.RINGING:
        waiting = UNMATCHED  # an unknown caller: an agent says who it was
    elif call.callback_open:
        waiting = CALLBACKS
    if waiting:
        attrs["gsi1pk"] = waiting
        attrs["gsi1sk"] = f"{created}#{call.id}"
    return item(attrs, call)


class CallStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self.db = store.db
        self.table_name = store.table_name

    # --- calls ------------------------------------------------------------------------------

    def get(self, call_id: str, consistent: bool = False) -> Call | None:
        found = self.store.get_raw("call", _call_key(call_id), consistent=consistent)
        return load(Call, found) if found else None

    def create(self, call: Call) -> bool:
        """Write a new call; False when a call with its id exists (a redelivered event)."""
        return self.store.put_new(call_item(call))

    def save(self, call: Call, expected_version: int) -> None:
        """Replace the call if nobody changed it since `expected_version`."""
        if not self.store.put_versioned(call_item(call), expected_version):
            current = self.get(call.id, consistent=True)
            raise VersionConflict(
                "call", call.id, expected_version, current.version if current else None
            )

    def recent(self, since: datetime, until: datetime, limit: int = 50) -> list[Call]:
        """AP13 for calls: those started in [since, until], newest first, at most `limit`."""
        return self.recent_page(since, until, limit, None).items

    def recent_page(
        self, since: datetime, until: datetime, limit: int, cursor: str | None
    ) -> Page[Call]:
        """One page of AP13 for calls, newest first. The index is partitioned by day, so the
        cursor is the last call's index key: its day is where the next page starts."""
        start = self._recent_start(cursor) if cursor else None
        day = (
            date.fromisoformat(start[table.RECENT.pk]["S"].removeprefix("RECENT#"))
            if start
            else until.astimezone(UTC).date()
        )
        out: list[Call] = []
        last: Item | None = None
        while day >= since.astimezone(UTC).date():
            kwargs: dict[str, Any] = {
                "IndexName": table.RECENT.name,
                "KeyConditionExpression": "recent_pk = :p AND recent_sk BETWEEN :a AND :b",
                "FilterExpression": "sk = :call",
                "ExpressionAttributeValues": {
                    ":p": s(f"RECENT#{day.isoformat()}"),
                    ":a": s(iso(since)),
                    ":b": s(f"{iso(until)}~"),
                    ":call": s(CALL_SK),
                },
                "ScanIndexForward": False,
                "Limit": min(limit + 1, MAX_PAGE),
            }
            if start is not None:
                kwargs["ExclusiveStartKey"], start = start, None
            for raw in self.store.query_all("recent_calls", **kwargs):
                if len(out) == limit:  # one more exists: the page ends at the one before
                    assert last is not None
                    return Page(out, encode_cursor(table.RECENT.name, _recent_key(last), _RECENT))
                out.append(load(Call, raw))
                last = raw
            day -= timedelta(days=1)
        return Page(out, None)

    @staticmethod
    def _recent_start(cursor: str) -> Item:
        key = decode_cursor(cursor, table.RECENT.name, _RECENT)
        try:
            date.fromisoformat(key[table.RECENT.pk]["S"].removeprefix("RECENT#"))
            if set(key) != {table.PK, table.SK, table.RECENT.pk, table.RECENT.sk}:
                raise ValueError("not a recent-calls key")
        except (KeyError, ValueError) as exc:
            raise InvalidInput("cursor", "the cursor is not valid for this listing") from exc
        return key

    def waiting(self, which: str, limit: int, cursor: str | None) -> Page[Call]:
        """Unknown callers (`unmatched`) or missed calls to call back (`callback`), oldest
        first: the calls an agent still has to deal with."""
        key = UNMATCHED if which == "unmatched" else CALLBACKS
        raw, next_cursor = self.store.query_page(
            f"calls_{which}",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(key)},
            min(limit, MAX_PAGE),
            cursor,
            hint=key,
        )
        return Page([load(Call, r) for r in raw], next_cursor)

    # --- 3CX: the lookup starts a call that the journal finishes ------------------------------

    def put_pending(self, provider: CallProvider, e164: str, call_id: str, until: datetime) -> None:
        self.db.put_item(
            TableName=self.table_name,
            Item=item(
                {
                    table.PK: f"CTI_PENDING#{provider.value}#{e164}",
                    table.SK: "PENDING",
                    "call_id": call_id,
                    table.TTL_ATTRIBUTE: int(until.timestamp()),
                }
            ),
        )

    def pending(self, provider: CallProvider, e164: str, now: datetime) -> str | None:
        found = self.store.get_raw(
            "pending_call",
            {table.PK: s(f"CTI_PENDING#{provider.value}#{e164}"), table.SK: s("PENDING")},
            consistent=True,
        )
        if not found or int(found[table.TTL_ATTRIBUTE]["N"]) < now.timestamp():
            return None  # TTL deletion lags
        return text(found, "call_id")

    def clear_pending(self, provider: CallProvider, e164: str) -> None:
        self.db.delete_item(
            TableName=self.table_name,
            Key={table.PK: s(f"CTI_PENDING#{provider.value}#{e164}"), table.SK: s("PENDING")},
        )
