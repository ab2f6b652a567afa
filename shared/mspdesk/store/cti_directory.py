"""The phone directory in the table (docs/cti.md lists the items):

- a client's or site's main number: `MAINPHONE#<E.164>` / `<client|site>#<id>`, with the
  number it is indexed under kept at `MAINPHONE_OF#<client|site>#<id>` / `MAINPHONE`;
- extensions and dialled numbers: `CTI_DIRECTORY` / `CTI_DIRECTORY`, versioned;
- an accepted signature, remembered for the replay window: `CTI_NONCE#<signature>` (TTL);
- locally, the webhook secrets: `CTI_SECRETS` / `CTI_SECRETS`.

The main-number items are kept by the cti_events consumer from ClientCreated/Updated and
SiteCreated/Updated events (and rebuilt by POST /api/admin/cti/reindex), since the admin
service writes only the lookups of its own entities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from mspdesk.domain.calls import CtiDirectory
from mspdesk.domain.errors import VersionConflict
from mspdesk.store import table
from mspdesk.store.codec import item, load, s, text
from mspdesk.store.dynamo import DynamoStore, conditional_failed

_DIRECTORY = {table.PK: s("CTI_DIRECTORY"), table.SK: s("CTI_DIRECTORY")}
_SECRETS = {table.PK: s("CTI_SECRETS"), table.SK: s("CTI_SECRETS")}


@dataclass(frozen=True)
class MainNumberOwner:
    kind: str  # "client" or "site"
    owner_id: str
    client_id: str


class DirectoryStore:
    def __init__(self, store: DynamoStore) -> None:
        self.store = store
        self.db = store.db
        self.table_name = store.table_name

    # --- main numbers ------------------------------------------------------------------------

    def main_number_owners(self, e164: str) -> list[MainNumberOwner]:
        """The clients and sites whose main number this is (several sites may share one)."""
        return [
            MainNumberOwner(
                kind=raw[table.SK]["S"].split("#", 1)[0],
                owner_id=text(raw, "owner_id") or "",
                client_id=text(raw, "client_id") or "",
            )
            for raw in self.store.query_all(
                "by_main_number",
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": s(f"MAINPHONE#{e164}")},
            )
        ]

    def set_main_number(self, kind: str, owner_id: str, client_id: str, e164: str | None) -> bool:
        """Index a client's or site's main number (None removes it); False when unchanged."""
        owner_key = {table.PK: s(f"MAINPHONE_OF#{kind}#{owner_id}"), table.SK: s("MAINPHONE")}
        current = self.store.get_raw("main_number_of", owner_key, consistent=True)
        old = text(current, "phone") if current else None
        if old == e164:
            return False
        operations: list[dict[str, Any]] = []
        if old:
            operations.append(
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {table.PK: s(f"MAINPHONE#{old}"), table.SK: s(f"{kind}#{owner_id}")},
                    }
                }
            )
        if e164:
            operations.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": item(
                            {
                                table.PK: f"MAINPHONE#{e164}",
                                table.SK: f"{kind}#{owner_id}",
                                "owner_id": owner_id,
                                "client_id": client_id,
                            }
                        ),
                    }
                }
            )
            operations.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {**owner_key, "phone": s(e164)},
                    }
                }
            )
        else:
            operations.append({"Delete": {"TableName": self.table_name, "Key": owner_key}})
        self.db.transact_write_items(TransactItems=operations)
        return True

    # --- extensions and dialled numbers ------------------------------------------------------

    def directory(self, consistent: bool = False) -> CtiDirectory:
        found = self.store.get_raw("cti_directory", _DIRECTORY, consistent=consistent)
        return load(CtiDirectory, found) if found else CtiDirectory()

    def save_directory(self, directory: CtiDirectory, expected_version: int) -> None:
        """Write the directory as version expected_version + 1."""
        first = expected_version == 1 and directory.version == 2
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=item(
                    {
                        table.PK: "CTI_DIRECTORY",
                        table.SK: "CTI_DIRECTORY",
                        "version": directory.version,
                    },
                    directory,
                ),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR version = :v" if first else "version = :v"
                ),
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
            current = self.directory(consistent=True)
            raise VersionConflict(
                "cti_directory", "directory", expected_version, current.version
            ) from error

    # --- replay protection --------------------------------------------------------------------

    def claim_signature(self, signature: str, until: datetime) -> bool:
        """Remember an accepted signature until the replay window closes; False when it was
        accepted before (a replay)."""
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=item(
                    {
                        table.PK: f"CTI_NONCE#{signature}",
                        table.SK: "NONCE",
                        table.TTL_ATTRIBUTE: int(until.timestamp()),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    # --- local webhook secrets -----------------------------------------------------------------

    def local_secrets(self) -> dict[str, str] | None:
        found = self.store.get_raw("cti_secrets", _SECRETS, consistent=True)
        if not found:
            return None
        return {k: v["S"] for k, v in found.items() if k not in (table.PK, table.SK) and "S" in v}

    def create_local_secrets(self, values: dict[str, str]) -> dict[str, str]:
        """Store secrets made on first use; whoever stored first wins (two cold starts)."""
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item={**_SECRETS, **{k: s(v) for k, v in values.items()}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if not conditional_failed(error):
                raise
        return self.local_secrets() or values
