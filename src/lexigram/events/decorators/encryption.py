"""``@encrypted_event``: the personal data of an event class is encrypted at rest.

::

    @encrypted_event(key_alias="events/pii-key", fields=("email", "phone"), subject="customer_id")
    class CustomerOnboarded(DomainEvent):
        customer_id: str
        email: str
        phone: str

Which fields are encrypted: those named in ``fields=``; without it, the fields annotated
``Annotated[str, PII]``; without either, every payload field. The base fields (``event_id``,
``aggregate_id``, ``occurred_at``...) always stay readable, and so does the ``subject`` field, the
one identifying the data subject (``customer_id``), whose own data key encrypts the event so that
forgetting the subject shreds its data. The class's ``repr`` shows ``'***'`` for encrypted
fields, so logging an event never prints them.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages import DomainEvent
from lexigram.contracts.messages.fields import resolve_annotation

__all__ = ["PII", "EncryptionSpec", "encrypted_event", "encryption_of"]

E = TypeVar("E", bound=type[DomainEvent])


class _PersonalData:
    """The type of ``PII``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PII"


PII: Final = _PersonalData()
"""Marks a field as personal data: ``email: Annotated[str, PII]`` (see ``encrypted_event``)."""

_MASK = "'***'"
_PII_IN_TEXT = re.compile(r"^\s*(typing\.)?Annotated\[.*\bPII\b")


@dataclass(frozen=True, slots=True)
class EncryptionSpec:
    """What ``@encrypted_event`` declared for a class: alias, encrypted fields, subject field."""

    key_alias: str
    fields: tuple[str, ...]
    subject: str | None = None


def encryption_of(cls: type) -> EncryptionSpec | None:
    """The ``EncryptionSpec`` of an event class, or None when it is not an encrypted event."""
    spec = getattr(cls, "__encryption__", None)
    return spec if isinstance(spec, EncryptionSpec) else None


def _is_pii(annotation: Any, resolved: Any) -> bool:
    if isinstance(annotation, str) and _PII_IN_TEXT.match(annotation):
        return True
    if typing.get_origin(resolved) is typing.Annotated:
        return any(marker is PII for marker in typing.get_args(resolved)[1:])
    return False


def _chosen_fields(
    cls: type[DomainEvent], fields: Iterable[str] | None, subject: str | None
) -> tuple[str, ...]:
    payload = tuple(cls.__payload_fields__)
    if fields is not None:
        if isinstance(fields, str):
            raise ConfigurationError(
                f"@encrypted_event on {cls.__qualname__}: fields must be a tuple of field names, "
                f"got the string {fields!r}; write fields=({fields!r},)"
            )
        chosen = tuple(dict.fromkeys(fields))
        unknown = [name for name in chosen if name not in payload]
        if unknown:
            raise ConfigurationError(
                f"@encrypted_event on {cls.__qualname__}: {unknown} are not payload fields; choose among "
                f"{list(payload)} (base fields such as event_id always stay readable)"
            )
        if subject is not None and subject in chosen:
            raise ConfigurationError(
                f"@encrypted_event on {cls.__qualname__}: the subject field {subject!r} cannot be encrypted "
                "(it names whose key encrypts the event); remove it from fields"
            )
        return chosen
    specs = cls.__message_fields__
    marked = tuple(n for n in payload if _is_pii(specs[n].annotation, resolve_annotation(specs[n])))
    if marked:
        return marked
    return tuple(n for n in payload if n != subject)


def encrypted_event(
    key_alias: str, *, fields: Iterable[str] | None = None, subject: str | None = None
) -> Callable[[E], E]:
    """Encrypt the personal data of an event class at rest, with the keys of ``key_alias``.

    ``fields`` names the encrypted fields (default: the ``PII``-marked fields, else all payload
    fields). ``subject`` names the field identifying the data subject: each subject then gets its
    own data key, and ``await serializer.forget(subject)`` shreds its data. Store events of the
    class through an ``EncryptedEventSerializer``.
    """
    if not isinstance(key_alias, str) or not key_alias.strip():
        raise ConfigurationError(
            f"@encrypted_event needs a key alias such as 'events/pii-key', got {key_alias!r}"
        )

    def decorate(cls: E) -> E:
        if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
            raise ConfigurationError(f"@encrypted_event decorates DomainEvent subclasses, got {cls!r}")
        if subject is not None and subject not in cls.__payload_fields__:
            raise ConfigurationError(
                f"@encrypted_event on {cls.__qualname__}: subject={subject!r} is not a payload field; "
                f"choose among {list(cls.__payload_fields__)}"
            )
        chosen = _chosen_fields(cls, fields, subject)
        if not chosen:
            raise ConfigurationError(
                f"@encrypted_event on {cls.__qualname__}: no field is left to encrypt; declare payload "
                "fields or list them in fields=(...)"
            )
        type.__setattr__(cls, "__encryption__", EncryptionSpec(key_alias, chosen, subject))
        type.__setattr__(cls, "__repr__", _masked_repr(frozenset(chosen)))
        return cls

    return decorate


def _masked_repr(hidden: frozenset[str]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        cls = type(self)
        shown = list(cls.__payload_fields__)
        identity = getattr(cls, "__identity_field__", None)
        if identity:
            shown.append(identity)
        body = ", ".join(
            f"{name}={_MASK if name in hidden else repr(getattr(self, name, None))}" for name in shown
        )
        return f"{cls.__qualname__}({body})"

    return __repr__
