"""Checking and normalising event-store arguments, once for every backend.

Every public store method funnels its arguments through these functions before it reaches the
backend, so all backends accept the same forms and reject bad input with the same errors:
``ValueError`` for a bad value, ``TypeError`` for an argument of the wrong kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from lexigram.contracts.messages import DomainEvent, payload_fields

__all__ = [
    "ReadRange",
    "check_batch_size",
    "check_expected_version",
    "check_position",
    "check_version_bound",
    "event_type_names",
    "events_to_append",
    "infer_stream_id",
    "stream_key",
]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def stream_key(stream_id: Any) -> str:
    """The stream id as a non-empty string (a ``UUID`` is accepted and converted)."""
    if isinstance(stream_id, str):
        if stream_id:
            return stream_id
        raise ValueError("stream_id must be a non-empty string")
    if isinstance(stream_id, UUID):
        return str(stream_id)
    raise TypeError(f"stream_id must be a str (or a UUID), got {type(stream_id).__name__}: {stream_id!r}")


def check_expected_version(expected_version: Any) -> int | None:
    """Validate ``expected_version``: None (any version) or an integer >= 0."""
    if expected_version is None:
        return None
    if _is_int(expected_version) and expected_version >= 0:
        return int(expected_version)
    raise ValueError(
        "expected_version must be None (any version), 0 (a new stream) or a positive stream "
        f"version, got {expected_version!r}"
    )


def check_position(name: str, value: Any) -> int:
    """Validate a global position or cursor argument: an integer >= 0."""
    if _is_int(value) and value >= 0:
        return int(value)
    raise ValueError(f"{name} must be an integer >= 0, got {value!r}")


def check_version_bound(name: str, value: Any) -> int:
    """Validate a stream version argument: an integer >= 0."""
    return check_position(name, value)


def check_batch_size(batch_size: Any, name: str = "batch_size") -> int:
    """Validate a batch size (``batch_size``, or the argument called ``name``): an integer >= 1."""
    if _is_int(batch_size) and batch_size >= 1:
        return int(batch_size)
    raise ValueError(f"{name} must be an integer >= 1, got {batch_size!r}")


@dataclass(frozen=True, slots=True)
class ReadRange:
    """A normalised stream read: versions ``first``..``last`` (inclusive, 1-based), at most ``limit``."""

    first: int
    last: int | None
    limit: int | None

    @property
    def is_empty(self) -> bool:
        """True when no event can match (``limit=0`` or ``last < first``)."""
        return self.limit == 0 or (self.last is not None and self.last < self.first)

    @classmethod
    def from_arguments(
        cls,
        from_version: Any = 0,
        to_version: Any = None,
        limit: Any = None,
        start: Any = None,
        count: Any = None,
    ) -> ReadRange:
        """Normalise ``read``'s arguments.

        ``from_version`` and ``to_version`` are inclusive and 1-based (0 and 1 both mean the first
        event). ``start`` is a cursor, the number of events already seen, so it means
        ``from_version=start + 1``; ``count`` means ``limit``.
        """
        if start is not None:
            if from_version not in (0, None):
                raise ValueError("pass either from_version or start (a cursor), not both")
            first = check_position("start", start) + 1
        else:
            first = max(check_version_bound("from_version", 0 if from_version is None else from_version), 1)
        if count is not None:
            if limit is not None and limit != count:
                raise ValueError(f"limit={limit!r} and count={count!r} disagree; count is an alias of limit")
            limit = count
        last = None if to_version is None else check_version_bound("to_version", to_version)
        if limit is not None:
            limit = check_position("limit", limit)
        return cls(first, last, limit)


_ID_FIELDS: dict[type, str | None] = {}


def _first_id_field(event_class: type) -> str | None:
    try:
        return _ID_FIELDS[event_class]
    except KeyError:
        name = next((n for n in payload_fields(event_class) if n.endswith("_id")), None)
        _ID_FIELDS[event_class] = name
        return name


def infer_stream_id(event: DomainEvent) -> str:
    """The stream of an event appended without a stream id.

    ``str(event.aggregate_id)`` when it is set, otherwise the value of the event's first declared
    payload field whose name ends in ``_id``; ``ValueError`` when neither gives a value.
    """
    if event.aggregate_id is not None:
        return str(event.aggregate_id)
    name = _first_id_field(type(event))
    if name is not None:
        value = event.__dict__.get(name)
        if value is not None:
            return str(value)
    raise ValueError(
        f"cannot tell which stream {type(event).__name__} belongs to: pass stream_id, set the event's "
        "aggregate_id, or declare a payload field whose name ends in '_id'"
    )


def _as_event_list(events: Any) -> list[DomainEvent]:
    if isinstance(events, DomainEvent):
        return [events]
    if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
        raise TypeError(f"events must be a DomainEvent or a list of them, got {type(events).__name__}")
    listed = list(events)
    for index, event in enumerate(listed):
        if not isinstance(event, DomainEvent):
            raise TypeError(
                f"events[{index}] is a {type(event).__name__}, not a DomainEvent; an event store "
                "stores DomainEvent instances (declare the event as a DomainEvent subclass)"
            )
    return listed


def events_to_append(stream_id: Any, events: Any) -> tuple[str | None, list[DomainEvent]]:
    """Normalise ``append``'s first two arguments to ``(stream id, events)``.

    Accepts ``append(stream_id, events)``, ``append(stream_id, event)``, ``append(event)`` and
    ``append([events])``. Without a stream id each event's stream is inferred (see
    ``infer_stream_id``) and all must agree. The stream id is None only when ``events`` is empty.
    """
    if stream_id is not None and not isinstance(stream_id, (str, UUID)):
        if events is not None:
            raise TypeError(f"stream_id must be a str (or a UUID), got {type(stream_id).__name__}")
        stream_id, events = None, stream_id
    if events is None:
        raise TypeError("append() needs the events to append")
    listed = _as_event_list(events)
    if stream_id is not None:
        return stream_key(stream_id), listed
    if not listed:
        return None, listed
    inferred = {infer_stream_id(event) for event in listed}
    if len(inferred) > 1:
        raise ValueError(
            f"the events belong to different streams ({', '.join(sorted(inferred))}); one append "
            "writes one stream, so pass stream_id or append each stream separately"
        )
    return inferred.pop(), listed


def event_type_names(event_types: Any) -> frozenset[str]:
    """Normalise ``stream_by_type``'s list of event types (names, or event classes) to names."""
    if isinstance(event_types, (str, bytes)) or not isinstance(event_types, Iterable):
        raise TypeError(
            f"event_types must be a list of type names, got {type(event_types).__name__}: {event_types!r}"
        )
    names: set[str] = set()
    for item in event_types:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, type):
            names.add(item.__name__)
        else:
            raise TypeError(f"event_types holds {item!r}; give event type names (or event classes)")
    return frozenset(names)
