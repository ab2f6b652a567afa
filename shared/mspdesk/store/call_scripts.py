"""Call scripts in the table: `CALL_SCRIPT#<id>` / `ENTITY`, listed in `by_parent` under
`LIST#call_script` by name, versioned like the admin entities.

An MSP has a handful of scripts: listing them all is one bounded Query, kept per container
for a short while because every ringing call reads them.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from mspdesk.domain.call_scripts import CallScript
from mspdesk.domain.errors import NotFound, VersionConflict
from mspdesk.store import table
from mspdesk.store.codec import item, load, n, s
from mspdesk.store.dynamo import MAX_PAGE, DynamoStore, conditional_failed

LIST_KEY = "LIST#call_script"
CACHE_SECONDS = 30.0
# Enough for any MSP; a longer list is refused at creation.
MAX_SCRIPTS = 5 * MAX_PAGE


class CallScriptStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self.db = store.db
        self.table_name = store.table_name
        self._cache: tuple[float, list[CallScript]] | None = None

    @staticmethod
    def _key(script_id: str) -> dict[str, dict[str, str]]:
        return {table.PK: s(f"CALL_SCRIPT#{script_id}"), table.SK: s("ENTITY")}

    def get(self, script_id: str) -> CallScript:
        found = self.store.get_raw("call_script", self._key(script_id), consistent=True)
        if not found:
            raise NotFound("call_script", script_id)
        return load(CallScript, found)

    def all(self, cached: bool = False) -> list[CallScript]:
        """Every script, by name (cached briefly when `cached`: the ringing path)."""
        now = time.monotonic()
        if cached and self._cache and now - self._cache[0] < CACHE_SECONDS:
            return self._cache[1]
        scripts = [
            load(CallScript, raw)
            for raw in self.store.query_all(
                "call_scripts",
                IndexName=table.BY_PARENT.name,
                KeyConditionExpression="gsi1pk = :p",
                ExpressionAttributeValues={":p": s(LIST_KEY)},
                Limit=MAX_PAGE,
            )
        ][:MAX_SCRIPTS]
        self._cache = (now, scripts)
        return scripts

    def save(self, script: CallScript, previous_version: int | None) -> CallScript:
        """Create (previous_version None) or replace the script at previous_version."""
        condition = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if previous_version is None
            else {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(previous_version)}},
            }
        )
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=item(
                    {
                        table.PK: f"CALL_SCRIPT#{script.id}",
                        table.SK: "ENTITY",
                        "version": script.version,
                        "gsi1pk": LIST_KEY,
                        "gsi1sk": f"{script.name.lower()}#{script.id}",
                    },
                    script,
                ),
                **condition,
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            current = self.get(script.id)
            raise VersionConflict(
                "call_script", script.id, previous_version or 0, current.version
            ) from error
        self._cache = None
        return script

    def delete(self, script: CallScript) -> None:
        """Delete the script at the version read; VersionConflict when it changed since,
        NotFound when it has gone already."""
        try:
            self.db.delete_item(
                TableName=self.table_name,
                Key=self._key(script.id),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": n(script.version)},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            found = self.store.get_raw("call_script", self._key(script.id), consistent=True)
            if not found:
                raise NotFound("call_script", script.id) from error
            current = load(CallScript, found)
            raise VersionConflict(
                "call_script", script.id, script.version, current.version
            ) from error
        finally:
            self._cache = None
