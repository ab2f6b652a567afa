"""Suspected major incidents and Problem tickets in the table (docs/cti.md lists the items):

- an incident: `MAJOR_INCIDENT#<id>` / `INCIDENT`, listed in `by_parent` under
  `LIST#major_incident#<status>` by creation, versioned;
- a Problem: `PROBLEM#<number>` / `PROBLEM` (listed on gsi1 under `LIST#problem`, newest first,
  with a count of its links), its links `LINK#<number>` in the same partition,
  and per linked ticket `PROBLEM_OF#<number>` / `PROBLEM` (one Problem per ticket);
- an update copied to a linked ticket: `PROBLEM#<number>` / `SENT#<action id>#<number>` (TTL),
  so a redelivered event copies nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from mspdesk.domain.errors import AlreadyExists, VersionConflict
from mspdesk.domain.major_incidents import IncidentStatus, MajorIncident, ProblemLinks
from mspdesk.store import table
from mspdesk.store.calls import iso
from mspdesk.store.codec import Item, item, load, n, s, text
from mspdesk.store.dynamo import MAX_PAGE, DynamoStore, Page, conditional_failed

_SENT_DAYS = 30


def _problem_list(open_: bool) -> str:
    """Open and resolved Problems are listed apart: the incidents page shows the open ones."""
    return f"LIST#problem#{'open' if open_ else 'resolved'}"


def _incident_key(incident_id: str) -> Item:
    return {table.PK: s(f"MAJOR_INCIDENT#{incident_id}"), table.SK: s("INCIDENT")}


def _incident_item(incident: MajorIncident) -> Item:
    return item(
        {
            table.PK: f"MAJOR_INCIDENT#{incident.id}",
            table.SK: "INCIDENT",
            "version": incident.version,
            "gsi1pk": f"LIST#major_incident#{incident.status.value}",
            "gsi1sk": f"{iso(incident.created_at)}#{incident.id}",
        },
        incident,
    )


class IncidentStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self.db = store.db
        self.table_name = store.table_name

    # --- incidents ----------------------------------------------------------------------------

    def get(self, incident_id: str, consistent: bool = False) -> MajorIncident | None:
        found = self.store.get_raw("incident", _incident_key(incident_id), consistent=consistent)
        return load(MajorIncident, found) if found else None

    def create(self, incident: MajorIncident) -> None:
        self.db.put_item(
            TableName=self.table_name,
            Item=_incident_item(incident),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def save(self, incident: MajorIncident, expected_version: int) -> None:
        if not self.store.put_versioned(_incident_item(incident), expected_version):
            current = self.get(incident.id, consistent=True)
            raise VersionConflict(
                "major_incident",
                incident.id,
                expected_version,
                current.version if current else None,
            )

    def page(self, status: IncidentStatus, limit: int, cursor: str | None) -> Page[MajorIncident]:
        """Incidents of a status, newest first, cursor-paged."""
        key = f"LIST#major_incident#{status.value}"
        raw, next_cursor = self.store.query_page(
            "incidents",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(key)},
            min(limit, MAX_PAGE),
            cursor,
            hint=key,
            forward=False,
        )
        return Page([load(MajorIncident, r) for r in raw], next_cursor)

    def open_since(self, since: datetime) -> list[MajorIncident]:
        """Open incidents raised since `since`: those the lateral window may still grow."""
        return [
            load(MajorIncident, raw)
            for raw in self.store.query_all(
                "incidents_open",
                IndexName=table.BY_PARENT.name,
                KeyConditionExpression="gsi1pk = :p AND gsi1sk >= :t",
                ExpressionAttributeValues={
                    ":p": s(f"LIST#major_incident#{IncidentStatus.OPEN.value}"),
                    ":t": s(iso(since)),
                },
                Limit=MAX_PAGE,
            )
        ]

    # --- Problem tickets ----------------------------------------------------------------------

    def create_problem(self, number: int, incident_id: str | None) -> None:
        attrs: dict[str, str | int | None] = {
            table.PK: f"PROBLEM#{number}",
            table.SK: "PROBLEM",
            "incident_id": incident_id,
            "gsi1pk": _problem_list(True),
            "gsi1sk": f"{number:012d}",
            "linked_count": 0,
        }
        self.db.put_item(TableName=self.table_name, Item=item(attrs))

    def problem(self, number: int) -> ProblemLinks | None:
        """The Problem with the numbers linked to it, or None if the ticket is no Problem."""
        found: ProblemLinks | None = None
        linked: list[int] = []
        for raw in self.store.query_all(
            "problem",
            KeyConditionExpression="pk = :p AND sk < :s",
            ExpressionAttributeValues={":p": s(f"PROBLEM#{number}"), ":s": s("Q")},
            ConsistentRead=True,
        ):
            sk = raw[table.SK]["S"]
            if sk == "PROBLEM":
                found = ProblemLinks(number=number, incident_id=text(raw, "incident_id"))
            elif sk.startswith("LINK#"):
                linked.append(int(sk.split("#", 1)[1]))
        if found is None:
            return None
        return found.model_copy(update={"linked": sorted(linked)})

    def is_problem(self, number: int) -> bool:
        key = {table.PK: s(f"PROBLEM#{number}"), table.SK: s("PROBLEM")}
        return self.store.get_raw("is_problem", key, consistent=True) is not None

    def file_problem(self, number: int, open_: bool) -> bool:
        """List the Problem among the open or the resolved ones; False if it is no Problem."""
        try:
            self.db.update_item(
                TableName=self.table_name,
                Key={table.PK: s(f"PROBLEM#{number}"), table.SK: s("PROBLEM")},
                UpdateExpression="SET gsi1pk = :l",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":l": s(_problem_list(open_))},
            )
        except ClientError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def problems_page(
        self, open_: bool, limit: int, cursor: str | None
    ) -> tuple[list[tuple[int, str | None, int]], str | None]:
        """Open (or resolved) Problems newest first: (number, incident id, tickets linked)."""
        listed = _problem_list(open_)
        raw, next_cursor = self.store.query_page(
            "problems",
            table.BY_PARENT,
            "gsi1pk = :p",
            {":p": s(listed)},
            min(limit, MAX_PAGE),
            cursor,
            hint=listed,
            forward=False,
            whole_items=True,
        )
        found = [
            (
                int(r[table.PK]["S"].split("#", 1)[1]),
                text(r, "incident_id"),
                int(r["linked_count"]["N"]) if "linked_count" in r else 0,
            )
            for r in raw
        ]
        return found, next_cursor

    def problem_of(self, number: int) -> int | None:
        found = self.store.get_raw(
            "problem_of",
            {table.PK: s(f"PROBLEM_OF#{number}"), table.SK: s("PROBLEM")},
            consistent=True,
        )
        return int(found["problem"]["N"]) if found else None

    def link(self, problem: int, number: int) -> bool:
        """Link a ticket to a Problem; False when it already is. A ticket linked to another
        Problem is refused (AlreadyExists): it would get two streams of updates."""
        try:
            self.db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                table.PK: s(f"PROBLEM_OF#{number}"),
                                table.SK: s("PROBLEM"),
                                "problem": n(problem),
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": {
                                table.PK: s(f"PROBLEM#{problem}"),
                                table.SK: s(f"LINK#{number:010d}"),
                            },
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table_name,
                            "Key": {table.PK: s(f"PROBLEM#{problem}"), table.SK: s("PROBLEM")},
                            "UpdateExpression": "ADD linked_count :d",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": {":d": n(1)},
                        }
                    },
                ]
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            if self.problem_of(number) == problem:
                return False
            raise AlreadyExists("problem link", str(number)) from error
        return True

    def unlink(self, problem: int, number: int) -> None:
        self.db.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {table.PK: s(f"PROBLEM_OF#{number}"), table.SK: s("PROBLEM")},
                        "ConditionExpression": "problem = :p",
                        "ExpressionAttributeValues": {":p": n(problem)},
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {
                            table.PK: s(f"PROBLEM#{problem}"),
                            table.SK: s(f"LINK#{number:010d}"),
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": {table.PK: s(f"PROBLEM#{problem}"), table.SK: s("PROBLEM")},
                        "UpdateExpression": "ADD linked_count :d",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":d": n(-1)},
                    }
                },
            ]
        )

    def claim_copy(self, problem: int, action_id: str, number: int, now: datetime) -> bool:
        """Claim the copy of a Problem's update to one linked ticket; False when it was
        copied before (a redelivered event)."""
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=item(
                    {
                        table.PK: f"PROBLEM#{problem}",
                        table.SK: f"SENT#{action_id}#{number}",
                        table.TTL_ATTRIBUTE: int((now + timedelta(days=_SENT_DAYS)).timestamp()),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def release_copy(self, problem: int, action_id: str, number: int) -> None:
        self.db.delete_item(
            TableName=self.table_name,
            Key={table.PK: s(f"PROBLEM#{problem}"), table.SK: s(f"SENT#{action_id}#{number}")},
        )
