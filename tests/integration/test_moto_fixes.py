"""The local emulator keeps DynamoDB's promises the desk relies on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mspdesk.store.dynamo import DynamoStore


def _put(pk: str, version: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}, "version": {"N": str(version)}}


def test_a_failed_transaction_leaves_every_item_as_it_was(
    store: DynamoStore, dynamodb: Any
) -> None:
    table = store.table_name
    dynamodb.put_item(TableName=table, Item=_put("A", 1))
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _put("A", 2)}},
                {"Put": {"TableName": table, "Item": _put("NEW", 1)}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": _put("B", 1),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    kept = dynamodb.get_item(TableName=table, Key={"pk": {"S": "A"}, "sk": {"S": "X"}})
    assert kept["Item"]["version"]["N"] == "1"
    assert "Item" not in dynamodb.get_item(
        TableName=table, Key={"pk": {"S": "NEW"}, "sk": {"S": "X"}}
    )


def test_concurrent_conditional_writes_with_one_version_let_exactly_one_win(
    store: DynamoStore, dynamodb: Any
) -> None:
    table = store.table_name
    dynamodb.put_item(TableName=table, Item=_put("T", 1))

    def bump(worker: int) -> bool:
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {**_put("T", 2), "by": {"N": str(worker)}},
                            "ConditionExpression": "version = :v",
                            "ExpressionAttributeValues": {":v": {"N": "1"}},
                        }
                    }
                ]
            )
        except ClientError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(bump, range(16)))
    assert wins.count(True) == 1
