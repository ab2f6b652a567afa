"""Screen-pop connections in the table: `WSCONN#<connection id>` / `WSCONN`, listed per agent
in `by_parent` under `AGENT#<id>#wsconn`, with a TTL.

API Gateway closes a connection after two hours at most; the TTL removes what a lost
$disconnect left behind, and a push to a connection that is gone deletes it at once.
"""

from __future__ import annotations

from datetime import datetime

from mspdesk.store import table
from mspdesk.store.codec import item, s, text
from mspdesk.store.dynamo import DynamoStore

# An agent with more open consoles than this is not one person at a desk.
MAX_CONNECTIONS = 20


class ConnectionStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self.db = store.db
        self.table_name = store.table_name

    def put(self, connection_id: str, agent_id: str, until: datetime) -> None:
        self.db.put_item(
            TableName=self.table_name,
            Item=item(
                {
                    table.PK: f"WSCONN#{connection_id}",
                    table.SK: "WSCONN",
                    "agent_id": agent_id,
                    "gsi1pk": f"AGENT#{agent_id}#wsconn",
                    "gsi1sk": connection_id,
                    table.TTL_ATTRIBUTE: int(until.timestamp()),
                }
            ),
        )

    def delete(self, connection_id: str) -> None:
        self.db.delete_item(
            TableName=self.table_name,
            Key={table.PK: s(f"WSCONN#{connection_id}"), table.SK: s("WSCONN")},
        )

    def of_agent(self, agent_id: str, now: datetime) -> list[str]:
        """The agent's open connections (expired ones skipped: TTL deletion lags)."""
        raw = self.store.query(
            "connections",
            IndexName=table.BY_PARENT.name,
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": s(f"AGENT#{agent_id}#wsconn")},
            Limit=MAX_CONNECTIONS,
        )["Items"]
        return [
            text(r, "gsi1sk") or ""
            for r in raw
            if int(r.get(table.TTL_ATTRIBUTE, {"N": "0"})["N"]) >= now.timestamp()
        ]
