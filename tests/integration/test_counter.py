from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mspdesk.store.dynamo import DynamoStore


def test_ticket_numbers_are_unique_under_concurrent_allocation(store: DynamoStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: store.next_ticket_number(), range(40)))
    assert sorted(numbers) == list(range(1, 41))
