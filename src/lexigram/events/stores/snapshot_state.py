"""Snapshot states as JSON that keeps Python types: ``encode_state`` and ``decode_state``.

An aggregate's snapshot state is its attribute dict, which routinely holds values JSON has no type
for: a ``UUID`` id, ``Decimal`` amounts, datetimes, sets, tuples, enums, value objects. Written as
plain JSON they would come back as strings and lists, and the restored aggregate would differ
from the saved one. So such values are written as tagged objects, ``{"$t": tag, "v": value}``,
and rebuilt on read:

==========  =================================================================================
tag         value
==========  =================================================================================
uuid        ``UUID``
datetime    ``datetime`` (ISO 8601, offset kept), also ``date``, ``time`` and ``timedelta``
decimal     ``Decimal``
bytes       ``bytes`` (base64)
tuple       ``tuple``; also ``set`` and ``frozenset``
int/float   integers beyond 64 bits, NaN and infinities
dict        a dict with a non-string key (or the key ``"$t"``), as key/value pairs
enum        an ``Enum`` member, by class and member name
dataclass   a dataclass instance, ``ValueObject`` included, by class and fields
==========  =================================================================================

Enum and dataclass classes are found by module and qualified name among the modules already
imported (the aggregate's module imports them): reading a snapshot never imports a module.
Anything else is refused with an error that names where it sits in the state.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from math import isfinite
from typing import Any
from uuid import UUID

from lexigram.events.exceptions import EventLoadError, EventPersistenceError

__all__ = ["decode_state", "encode_state"]

TAG = "$t"
_INT64 = range(-(1 << 63), 1 << 63)


def _tagged(tag: str, value: Any) -> dict[str, Any]:
    return {TAG: tag, "v": value}


def encode_state(value: Any, where: str = "state") -> Any:
    """Turn a snapshot state (or metadata) into JSON-safe data that ``decode_state`` restores exactly."""
    kind = type(value)
    if value is None or kind is str or kind is bool:
        return value
    if kind is int:
        return value if value in _INT64 else _tagged("int", str(value))
    if kind is float:
        return value if isfinite(value) else _tagged("float", repr(value))
    if kind is list:
        return [encode_state(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if kind is dict:
        if all(type(key) is str for key in value) and TAG not in value:
            return {key: encode_state(item, f"{where}[{key!r}]") for key, item in value.items()}
        return _tagged(
            "dict",
            [[encode_state(k, f"{where} key"), encode_state(v, f"{where}[{k!r}]")] for k, v in value.items()],
        )
    return _encode_other(value, where)


def _encode_other(value: Any, where: str) -> Any:
    simple = _SIMPLE_ENCODERS.get(type(value))
    if simple is not None:
        tag, convert = simple
        return _tagged(tag, convert(value))
    if isinstance(value, (tuple, set, frozenset)):
        tag = "tuple" if isinstance(value, tuple) else type(value).__name__
        if tag in ("tuple", "set", "frozenset"):
            items = [encode_state(item, f"{where}[{index}]") for index, item in enumerate(value)]
            return _tagged(tag, items)
    if isinstance(value, enum.Enum):
        return _tagged("enum", {"c": _class_path(type(value)), "n": value.name})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            field.name: encode_state(getattr(value, field.name), f"{where}.{field.name}")
            for field in dataclasses.fields(value)
        }
        return _tagged("dataclass", {"c": _class_path(type(value)), "v": fields})
    raise EventPersistenceError(
        f"cannot store the snapshot: {where} holds a {type(value).__qualname__}, which the "
        "snapshot store cannot write as JSON. Keep snapshot state to JSON values, UUIDs, dates and "
        "times, Decimals, bytes, tuples, sets, enums and dataclasses (value objects), or convert it "
        "in the aggregate",
        details={"where": where, "type": type(value).__qualname__},
    )


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_SIMPLE_ENCODERS: dict[type, tuple[str, Any]] = {
    UUID: ("uuid", str),
    datetime: ("datetime", datetime.isoformat),
    date: ("date", date.isoformat),
    time: ("time", time.isoformat),
    timedelta: ("timedelta", lambda d: [d.days, d.seconds, d.microseconds]),
    Decimal: ("decimal", str),
    bytes: ("bytes", lambda b: base64.b64encode(b).decode("ascii")),
}


def decode_state(value: Any) -> Any:
    """Rebuild what ``encode_state`` wrote."""
    kind = type(value)
    if kind is list:
        return [decode_state(item) for item in value]
    if kind is dict:
        tag = value.get(TAG)
        if tag is None:
            return {key: decode_state(item) for key, item in value.items()}
        return _decode_tagged(tag, value.get("v"))
    return value


def _decode_tagged(tag: str, value: Any) -> Any:
    simple = _SIMPLE_DECODERS.get(tag)
    if simple is not None:
        return simple(value)
    if tag == "dict":
        return {decode_state(k): decode_state(v) for k, v in value}
    if tag in ("tuple", "set", "frozenset"):
        items = [decode_state(item) for item in value]
        return tuple(items) if tag == "tuple" else set(items) if tag == "set" else frozenset(items)
    if tag == "enum":
        enum_class = _loaded_class(value["c"])
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.Enum)):
            raise EventLoadError(f"the snapshot names {value['c']} as an enum, but it is not an Enum")
        return enum_class[value["n"]]
    if tag == "dataclass":
        return _rebuild_dataclass(value["c"], value["v"])
    raise EventLoadError(f"a stored snapshot holds a value tagged {tag!r}, which this version cannot read")


def _rebuild_dataclass(path: str, stored: dict[str, Any]) -> Any:
    cls = _loaded_class(path)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise EventLoadError(f"the snapshot names {path} as a dataclass, but it is not one")
    fields = {field.name: field for field in dataclasses.fields(cls)}
    values = {name: decode_state(item) for name, item in stored.items() if name in fields}
    instance = cls(**{name: item for name, item in values.items() if fields[name].init})
    for name, item in values.items():
        if not fields[name].init:
            object.__setattr__(instance, name, item)
    return instance


def _loaded_class(path: str) -> Any:
    module_name, _, qualname = path.partition(":")
    found: Any = sys.modules.get(module_name)
    if found is None:
        raise EventLoadError(
            f"a stored snapshot holds an instance of {qualname} from {module_name}, which is not "
            f"imported; import {module_name} before loading the snapshot",
            details={"class": path},
        )
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise EventLoadError(f"a stored snapshot names the class {path}, which no longer exists")
    return found


_SIMPLE_DECODERS: dict[str, Any] = {
    "uuid": UUID,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "timedelta": lambda parts: timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]),
    "decimal": Decimal,
    "bytes": lambda text: base64.b64decode(text),
    "int": int,
    "float": float,
}
