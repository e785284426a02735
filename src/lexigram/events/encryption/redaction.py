"""What the fields of a forgotten data subject read back as.

After ``forget(subject)`` the subject's data key is gone, so its encrypted fields cannot be read.
The events still load, with every encrypted field set to an explicit redacted value:

* a field whose type accepts ``str`` reads ``REDACTED``, a ``str`` (``"[redacted]"``) of the
  ``RedactedText`` subclass, so string code (``event.email.lower()``) keeps working and
  ``isinstance(value, RedactedText)`` tells it apart from real data;
* any other field type must accept ``None`` (``int | None``), and reads ``None``.

``event_is_redacted(event)`` and ``redacted_fields(event)`` say whether, and which, fields of an
event loaded from a store were redacted.
"""

from __future__ import annotations

import weakref
from typing import Any, Final

from lexigram.contracts.messages import DomainEvent

__all__ = ["REDACTED", "RedactedText", "event_is_redacted", "mark_redacted", "redacted_fields"]


class RedactedText(str):
    """The type of ``REDACTED``: text standing in for personal data that was crypto-shredded."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REDACTED"


REDACTED: Final = RedactedText("[redacted]")
"""The value of a forgotten subject's encrypted ``str`` field."""

_redacted: weakref.WeakKeyDictionary[DomainEvent, tuple[str, ...]] = weakref.WeakKeyDictionary()


def mark_redacted(event: DomainEvent, fields: tuple[str, ...]) -> None:
    """Record that ``fields`` of ``event`` were redacted when it was read (serializer use)."""
    _redacted[event] = fields


def redacted_fields(event: Any) -> tuple[str, ...]:
    """The fields of ``event`` that were redacted because their subject was forgotten."""
    if not isinstance(event, DomainEvent):
        return ()
    try:
        recorded = _redacted.get(event)
    except TypeError:
        recorded = None
    if recorded is not None:
        return recorded
    state = event.__dict__
    return tuple(name for name in type(event).__payload_fields__ if isinstance(state.get(name), RedactedText))


def event_is_redacted(event: Any) -> bool:
    """True when some personal data of ``event`` was crypto-shredded and reads as redacted."""
    return bool(redacted_fields(event))
