"""Conversion of arbitrary Python values to JSON-safe data."""

from __future__ import annotations

import base64
import dataclasses
import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = ["json_key", "sorted_json_list", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` to something ``json.dumps`` accepts, recursively.

    UUIDs and Decimals become strings, datetimes and dates ISO 8601 strings, enums their value,
    bytes base64 text, sets sorted lists, dataclasses and messages dicts. Anything else unknown
    becomes ``str(value)``.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is UUID:
        return str(value)
    if kind is datetime or kind is date or kind is time:
        return value.isoformat()
    if kind is Decimal:
        return str(value)
    if kind is list or kind is tuple:
        return [to_jsonable(item) for item in value]
    if kind is dict:
        return {json_key(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (set, frozenset)):
        return sorted_json_list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {json_key(k): to_jsonable(v) for k, v in value.items()}
    return str(value)


def json_key(key: Any) -> str:
    if type(key) is str:
        return key
    converted = to_jsonable(key)
    return converted if isinstance(converted, str) else str(converted)


def sorted_json_list(items: Any) -> list[Any]:
    converted = [to_jsonable(item) for item in items]
    try:
        return sorted(converted)
    except TypeError:
        return converted
