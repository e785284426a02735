"""Fingerprints: a digest of a command's input, so that a reused key with other input is caught.

Two commands have the same fingerprint when they are of the same class and carry the same
payload. What differs between two sends of the same request (the command ``id``, its
``timestamp``, its ``metadata``, the ``idempotency_key`` itself) is left out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from lexigram.contracts.messages import MessageModel

__all__ = ["command_fingerprint", "event_fingerprint"]

_PER_SEND = frozenset({"id", "timestamp", "metadata", "idempotency_key"})
"""Fields that change with every send of the same request."""


def _payload(command: Any) -> Any:
    if isinstance(command, MessageModel):
        return command.to_dict()
    if dataclasses.is_dataclass(command) and not isinstance(command, type):
        return {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}
    return vars(command) if hasattr(command, "__dict__") else repr(command)


def _digest(kind: str, document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return kind + ":" + hashlib.sha256(text.encode()).hexdigest()


def command_fingerprint(command: Any) -> str:
    """``<class>:<sha256 of the canonical JSON of the payload>``, without per-send fields."""
    payload = _payload(command)
    if isinstance(payload, dict):
        payload = {name: value for name, value in payload.items() if name not in _PER_SEND}
    cls = type(command)
    return _digest(f"{cls.__module__}.{cls.__qualname__}", payload)


def event_fingerprint(event: Any) -> str:
    """The fingerprint of an inbox delivery: the event's type (its id is already in the key)."""
    name = getattr(event, "event_type", None) or type(event).__name__
    return f"event:{name}"
