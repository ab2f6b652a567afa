"""Items of the low-level DynamoDB client. An entity is kept whole as JSON in `data`; keys and
the attributes that filters use sit beside it as plain strings."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mspdesk.domain.errors import InvalidInput

Item = dict[str, dict[str, Any]]
M = TypeVar("M", bound=BaseModel)


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def item(attributes: dict[str, str | int | None], data: BaseModel | None = None) -> Item:
    out: Item = {}
    for name, value in attributes.items():
        if value is None:
            continue
        out[name] = (
            n(value) if isinstance(value, int) and not isinstance(value, bool) else s(str(value))
        )
    if data is not None:
        out["data"] = s(data.model_dump_json())
    return out


def load(model: type[M], raw: Item) -> M:
    return model.model_validate_json(raw["data"]["S"])


def text(raw: Item, name: str) -> str | None:
    value = raw.get(name)
    return None if value is None else str(value.get("S", value.get("N")))


def encode_cursor(index: str, last_key: Item, scope_hint: str) -> str:
    payload = json.dumps({"i": index, "k": last_key, "h": scope_hint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, index: str, scope_hint: str) -> Item:
    """The ExclusiveStartKey of a cursor; refuses one made for another listing."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if payload["i"] != index or payload["h"] != scope_hint:
            raise ValueError("cursor of another listing")
        key = payload["k"]
        if not isinstance(key, dict) or not all(
            isinstance(v, dict) and set(v) <= {"S", "N"} for v in key.values()
        ):
            raise ValueError("malformed key")
        return key
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, ValidationError) as exc:
        raise InvalidInput("cursor", "the cursor is not valid for this listing") from exc
