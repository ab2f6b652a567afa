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


def test_queries_read_their_partition_or_index_in_key_order_while_writes_go_on(
    store: DynamoStore, dynamodb: Any
) -> None:
    table = store.table_name

    def row(pk: str, sk: str, order: str) -> dict[str, Any]:
        return {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "gsi1pk": {"S": "LIST"},
            "gsi1sk": {"S": order},
        }

    for pk, sk, order in (
        ("P#2", "B", "3"),
        ("P#1", "B", "1"),
        ("P#1", "A", "4"),
        ("P#3", "A", "2"),
    ):
        dynamodb.put_item(TableName=table, Item=row(pk, sk, order))

    def keys(**query: Any) -> list[tuple[str, str]]:
        found = dynamodb.query(TableName=table, **query)["Items"]
        return [(i["pk"]["S"], i["sk"]["S"]) for i in found]

    in_partition = {
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "P#1"}},
    }
    assert keys(**in_partition) == [("P#1", "A"), ("P#1", "B")]
    assert keys(**in_partition, ScanIndexForward=False) == [("P#1", "B"), ("P#1", "A")]
    on_index = {
        "IndexName": "by_parent",
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "LIST"}},
    }
    assert keys(**on_index) == [("P#1", "B"), ("P#3", "A"), ("P#2", "B"), ("P#1", "A")]
    page = dynamodb.query(TableName=table, **on_index, Limit=2)
    rest = keys(**on_index, ExclusiveStartKey=page["LastEvaluatedKey"])
    assert rest == [("P#2", "B"), ("P#1", "A")]

    def write(worker: int) -> None:
        for n in range(40):
            dynamodb.put_item(TableName=table, Item=row(f"W#{worker}", f"{n:03d}", f"9{n:03d}"))

    def read(_: int) -> int:
        return sum(len(keys(**on_index)) for _ in range(10))

    with ThreadPoolExecutor(max_workers=4) as pool:
        writers = [pool.submit(write, w) for w in range(2)]
        readers = [pool.submit(read, r) for r in range(2)]
        for done in (*writers, *readers):
            done.result()  # a read while an item is added raises nothing
    assert len(keys(**on_index)) == 4 + 80
