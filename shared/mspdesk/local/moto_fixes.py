"""Make moto's DynamoDB as faithful as the desk needs, for the local stack and the tests.

Three gaps matter to us (moto 5.2):
- a conditional write is a check, then a write, with no lock: two concurrent writers with the
  same expected version can both pass, where DynamoDB lets exactly one win;
- TransactWriteItems deep-copies the whole table once per item to be able to roll back, so every
  ticket write costs hundreds of milliseconds once the demo history is loaded;
- every Query lists and sorts the whole table before picking its partition (and sorts its own
  results again after), about half a second per Query with the demo's 10,000 tickets; listing
  the table while a write adds an item also fails now and then ("dictionary changed size").

So every write of the backend runs under one lock, a transaction snapshots only the items it
touches, and a Query runs under the lock too, listing (unsorted) only the partition it asks
for, or every item when it reads an index. Its results are sorted by moto as before.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

_LOCK = threading.RLock()
_applied = False
# The partition the Query running on this thread reads: (hash key or None for an index read,).
_querying = threading.local()


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return locked


def apply() -> None:
    """Patch moto's DynamoDB backend in this process (idempotent)."""
    global _applied
    if _applied:
        return
    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    backend = models.DynamoDBBackend
    original_transact = backend.transact_write_items
    real_copy = models.__dict__["copy"]
    # Inside a transaction moto may keep its deep copy of single items, not of whole tables.
    no_table_copies = SimpleNamespace(
        deepcopy=lambda value, *a: value if isinstance(value, Table) else copy.deepcopy(value, *a)
    )

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            touched = _snapshot(self, transact_items)
            models.__dict__["copy"] = no_table_copies
            try:
                original_transact(self, transact_items)
            except Exception:
                _restore(self, touched)
                raise
            finally:
                models.__dict__["copy"] = real_copy

    for name in ("put_item", "update_item", "delete_item", "batch_write_item"):
        setattr(backend, name, _serialised(getattr(backend, name)))
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _fast_queries(Table)
    _applied = True


def _fast_queries(table_class: Any) -> None:
    original_query = table_class.query
    original_all_items = table_class.all_items
    signature = inspect.signature(original_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        _querying.partition = (None if asked.get("index_name") else asked.get("hash_key"),)
        try:
            # Under the write lock: no item changes while moto reads and copies its results.
            with _LOCK:
                return original_query(self, *args, **kwargs)
        finally:
            _querying.partition = None

    def all_items(self: Any) -> list[Any]:
        scope = getattr(_querying, "partition", None)
        if scope is None:  # a Scan, an export: moto's own, sorted
            return original_all_items(self)  # type: ignore[no-any-return]
        (hash_key,) = scope
        if not self.range_key_attr:
            if hash_key is not None:
                return [self.items[hash_key]] if hash_key in self.items else []
            return list(self.items.values())
        if hash_key is not None:
            return list(self.items.get(hash_key, {}).values())
        return [item for partition in self.items.values() for item in partition.values()]

    table_class.query = query
    table_class.all_items = all_items


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, Any]:
    touched: dict[str, Any] = {}
    for entry in transact_items:
        try:
            op = next(iter(entry.values()))
            table = backend.get_table(op["TableName"])
            if "Key" in op:
                key = op["Key"]
            else:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            current = backend.get_item(op["TableName"], key)
        except Exception:  # noqa: S112 - moto itself reports a malformed operation
            continue
        ident = json.dumps([op["TableName"], key], sort_keys=True)
        if ident not in touched:
            attributes = copy.deepcopy(current.to_json()["Attributes"]) if current else None
            touched[ident] = (op["TableName"], key, attributes)
    return touched


def _restore(backend: Any, touched: dict[str, Any]) -> None:
    for table_name, key, attributes in touched.values():
        if attributes is None:
            table = backend.get_table(table_name)
            hash_value, range_value = backend.get_keys_value(table, key)
            table.delete_item(hash_value, range_value)
        else:
            backend.put_item(table_name, attributes)
