"""The one DynamoDB table: its keys and indexes, read by the CDK app, the tests and the local
stack alike, so none of them can drift from the others. docs/data-model.md explains which
access pattern each index serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expires_at"


@dataclass(frozen=True)
class Index:
    name: str
    pk: str
    sk: str


# Listings of a parent (entities by type or by client), an end-user's tickets and assets.
BY_PARENT = Index("by_parent", "gsi1pk", "gsi1sk")
# A second parent: a client's tickets and time entries, an end-user's assets.
BY_OWNER = Index("by_owner", "gsi2pk", "gsi2sk")
# Tickets and calls of the last minutes, per UTC day (AP13).
RECENT = Index("recent", "recent_pk", "recent_sk")
# Open tickets by their next SLA instant (AP7).
SLA_DUE = Index("sla_due", "sla_pk", "sla_sk")

# The queue (AP2): one sparse index per filter, all ordered by q_sort (SLA due, then age), so a
# filtered page reads about as many items as it shows.
QUEUE_ALL = Index("queue_all", "q_all", "q_sort")
QUEUE_CLIENT = Index("queue_client", "q_client", "q_sort")
QUEUE_AGENT = Index("queue_agent", "q_agent", "q_sort")
QUEUE_TEAM = Index("queue_team", "q_team", "q_sort")
QUEUE_STATUS = Index("queue_status", "q_status", "q_sort")
QUEUE_PRIORITY = Index("queue_priority", "q_priority", "q_sort")
QUEUE_SLA = Index("queue_sla", "q_sla", "q_sort")

INDEXES: tuple[Index, ...] = (
    BY_PARENT,
    BY_OWNER,
    RECENT,
    SLA_DUE,
    QUEUE_ALL,
    QUEUE_CLIENT,
    QUEUE_AGENT,
    QUEUE_TEAM,
    QUEUE_STATUS,
    QUEUE_PRIORITY,
    QUEUE_SLA,
)


def key_attributes() -> list[str]:
    """Every attribute used as a key of the table or of an index (all strings)."""
    names = [PK, SK]
    for index in INDEXES:
        for name in (index.pk, index.sk):
            if name not in names:
                names.append(name)
    return names


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable request for the local stack and the tests (on-demand billing)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in key_attributes()
        ],
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.pk, "KeyType": "HASH"},
                    {"AttributeName": index.sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in INDEXES
        ],
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table with TTL on, as the CDK app does; waits until it is active."""
    client.create_table(**create_table_request(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
