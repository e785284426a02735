"""The encryption plan of one event class, decided once per class and cached by the serializer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.contracts.messages.codegen import compile_message
from lexigram.events.decorators.encryption import encryption_of
from lexigram.events.encryption.redaction import REDACTED

__all__ = ["EncryptionPlan", "plan_for"]


@dataclass(frozen=True, slots=True)
class EncryptionPlan:
    """Alias, encrypted fields and subject field of a class, and the redacted value of each field."""

    alias: str
    fields: tuple[str, ...]
    subject: str | None
    redacted: dict[str, Any]


def _redacted_value(cls: type[DomainEvent], name: str) -> Any:
    rule = compile_message(cls).rules[name]
    if rule.check is None or str in rule.fast:
        return REDACTED
    if rule.nullable:
        return None
    raise ConfigurationError(
        f"{cls.__qualname__}.{name} is encrypted per data subject, but its type ({rule.expected}) accepts "
        "neither str nor None, so it has no value to read back once the subject is forgotten; declare "
        f"it as `{rule.expected} | None` or as str"
    )


def plan_for(cls: type) -> EncryptionPlan | None:
    """The plan of ``cls``, or None when the class is not an ``@encrypted_event``."""
    spec = encryption_of(cls)
    if spec is None or not issubclass(cls, DomainEvent):
        return None
    redacted = {name: _redacted_value(cls, name) for name in spec.fields} if spec.subject is not None else {}
    return EncryptionPlan(spec.key_alias, spec.fields, spec.subject, redacted)
