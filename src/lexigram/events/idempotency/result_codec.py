"""How an idempotent handler's result is recorded as JSON and rebuilt for later callers.

A later caller must get the *same* result the first caller got, so a result is encoded with
tags for what JSON cannot say, then decoded again and compared with the original before it is
recorded. What does not come back equal is refused with ``IdempotencyResultError``, and nothing
is stored.

What round-trips:

* ``None``, ``bool``, ``int``, finite ``float``, ``str``, and lists and ``str``-keyed dicts of
  such values (a dict whose keys start with ``$`` is wrapped, so it is never read as a tag);
* ``tuple``, ``UUID``, ``datetime``, ``date``, ``Decimal`` and ``Enum`` members;
* messages (``Command``, ``DomainEvent``...: ``to_dict``/``from_dict``), dataclasses whose fields
  are such values (``CommandResult`` included), and ``Ok(value)``.

Classes are recorded by ``module:qualname`` and imported again on reading; a record naming
anything but a message, a dataclass or an enum is refused.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from lexigram.contracts.core.result import Ok
from lexigram.contracts.messages import MessageModel
from lexigram.events.exceptions import IdempotencyResultError

__all__ = ["decode_result", "encode_result"]


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _load_class(path: Any) -> type:
    if not isinstance(path, str) or ":" not in path:
        raise IdempotencyResultError(f"a recorded result names no class: {path!r}")
    module_name, qualname = path.split(":", 1)
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise IdempotencyResultError(
            f"the recorded result's class {path} cannot be imported ({exc}); keep result classes "
            "at module level under a stable name"
        ) from exc
    if not isinstance(target, type) or not (
        issubclass(target, (MessageModel, enum.Enum)) or dataclasses.is_dataclass(target)
    ):
        raise IdempotencyResultError(
            f"the recorded result's class {path} is not a message, dataclass or enum"
        )
    return target


def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise IdempotencyResultError(f"{where} is {value!r}, which JSON cannot hold")
        return value
    if isinstance(value, list):
        return [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"$tuple": [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise IdempotencyResultError(f"{where} has the key {key!r}: only str keys can be recorded")
            encoded[key] = _encode(item, f"{where}[{key!r}]")
        if any(key.startswith("$") for key in encoded):
            return {"$dict": encoded}
        return encoded
    return _encode_object(value, where)


def _encode_object(value: Any, where: str) -> Any:
    if isinstance(value, enum.Enum):
        return {"$enum": [_class_path(type(value)), _encode(value.value, where)]}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Ok):
        return {"$ok": _encode(value.value, f"{where}.value")}
    if isinstance(value, MessageModel):
        return {"$message": [_class_path(type(value)), value.to_dict()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            field.name: _encode(getattr(value, field.name), f"{where}.{field.name}")
            for field in dataclasses.fields(value)
            if field.init
        }
        return {"$dataclass": [_class_path(type(value)), fields]}
    raise IdempotencyResultError(
        f"{where} is a {type(value).__qualname__}, which cannot be recorded for later callers; return "
        "None, JSON values, a message or a dataclass of such values from an idempotent handler"
    )


def _decode_message(payload: Any) -> Any:
    path, data = payload
    cls = _load_class(path)
    if not issubclass(cls, MessageModel):
        raise IdempotencyResultError(f"the recorded result's class {path} is not a message")
    return cls.from_dict(data)


def _decode_dataclass(payload: Any) -> Any:
    path, fields = payload
    cls = _load_class(path)
    return cls(**{name: _decode(item) for name, item in fields.items()})


def _decode_enum(payload: Any) -> Any:
    path, raw = payload
    cls = _load_class(path)
    if not issubclass(cls, enum.Enum):
        raise IdempotencyResultError(f"the recorded result's class {path} is not an enum")
    return cls(_decode(raw))


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$tuple": lambda items: tuple(_decode(item) for item in items),
    "$dict": lambda mapping: {key: _decode(item) for key, item in mapping.items()},
    "$uuid": UUID,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$decimal": Decimal,
    "$ok": lambda item: Ok(_decode(item)),
    "$enum": _decode_enum,
    "$message": _decode_message,
    "$dataclass": _decode_dataclass,
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, payload),) = value.items()
            decode = _TAGS.get(tag)
            if decode is not None:
                return decode(payload)
        return {key: _decode(item) for key, item in value.items()}
    return value


def encode_result(result: Any) -> str:
    """The JSON text that ``decode_result`` turns back into a value equal to ``result``.

    Raises ``IdempotencyResultError`` naming the part that cannot be recorded, or when the
    decoded value would not equal the result.
    """
    text = json.dumps(_encode(result, "the result"), separators=(",", ":"), ensure_ascii=False)
    try:
        same = decode_result(text) == result
    except (TypeError, ValueError) as exc:
        raise IdempotencyResultError(
            f"the result {type(result).__qualname__} cannot be rebuilt from its record ({exc}); return "
            "None, JSON values, a message or a dataclass of such values from an idempotent handler"
        ) from exc
    if not same:
        raise IdempotencyResultError(
            f"the result {type(result).__qualname__} would not come back equal to itself from its JSON "
            "record (a field of a type that JSON cannot hold, or no value equality); return None, JSON "
            "values, a message or a dataclass of such values from an idempotent handler"
        )
    return text


def decode_result(text: str) -> Any:
    """The value recorded by ``encode_result``; a damaged record raises ``IdempotencyResultError``."""
    try:
        document = json.loads(text)
        return _decode(document)
    except IdempotencyResultError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise IdempotencyResultError(f"a recorded idempotent result cannot be read: {exc}") from exc
