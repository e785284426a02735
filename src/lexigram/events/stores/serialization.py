"""How durable stores turn events into bytes and back.

``JsonEventSerializer`` is the default ``EventSerializerProtocol``: an event is stored as the JSON of
``event.to_dict()`` (with ``orjson`` when it is installed, else the standard library). Reading
resolves the stored ``event_type`` to a class (types registered on the serializer first, then the
global registry of ``DomainEvent`` subclasses) and rebuilds the event without re-validating it.

``EventCodec`` is what a store holds: it wraps any serializer, stamps each decoded event with its
global position and stream version, and applies the store's schema evolution (an object with
``upcast(data: dict) -> dict``) to the stored data before the class is built. With the default
serializer, decoding, stamping and upcasting happen in one pass with no extra copy. Writing stamps
the class's current schema version (``stamping.schema_stamped``).

A stored event this process cannot read raises: ``UnknownEventTypeError`` for a type without a
class, ``EventVersionSkewError`` for a schema version newer than the class's, ``EventLoadError`` for
data that does not decode (naming its position). Inside ``reading_version_skew()`` the default
serializer returns an ``UnknownEvent`` record instead; that choice is made only after an event has
failed, so the read path of readable events is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from lexigram.contracts.events.stores import EventSerializerProtocol
from lexigram.contracts.exceptions import LexigramError
from lexigram.contracts.messages import DomainEvent, event_types
from lexigram.contracts.messages.codegen import compile_message
from lexigram.events.exceptions import (
    EventLoadError,
    EventPersistenceError,
    EventVersionSkewError,
    UnknownEventTypeError,
)
from lexigram.events.schema.unknown import SkewReason, UnknownEvent, tolerating_version_skew
from lexigram.events.schema.versions import current_schema_version
from lexigram.events.stores.stamping import declares_version, schema_stamped, stored_copy

__all__ = ["EventCodec", "JsonEventSerializer", "StoredEventDecoder", "dumps_json", "loads_json"]

try:
    import orjson

    def dumps_json(value: Any) -> bytes:
        """Encode a JSON-safe value as UTF-8 JSON bytes (orjson)."""
        return orjson.dumps(value)

    def loads_json(data: bytes | bytearray | memoryview | str) -> Any:
        """Decode JSON bytes or text (orjson)."""
        return orjson.loads(data)

except ImportError:  # pragma: no cover - exercised only without orjson

    def dumps_json(value: Any) -> bytes:
        """Encode a JSON-safe value as UTF-8 JSON bytes (standard library)."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    def loads_json(data: bytes | bytearray | memoryview | str) -> Any:
        """Decode JSON bytes or text (standard library)."""
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


class StoredEventDecoder(Protocol):
    """A serializer that can rebuild an event already stamped with its position and version."""

    def deserialize_stored(
        self,
        data: bytes | str,
        position: int,
        version: int,
        upcast: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ) -> DomainEvent:
        """Rebuild an event from stored data, with ``sequence_number`` and ``version`` set."""
        ...


class JsonEventSerializer:
    """The default event serializer: ``event.to_dict()`` as JSON.

    ``register_event_type(name, cls)`` makes ``name`` (a stored ``event_type``) build ``cls``; it
    takes precedence over the global registry of event classes, so renamed or custom-named event
    types can still be read.
    """

    def __init__(self) -> None:
        self._types: dict[str, type[DomainEvent]] = {}
        self._loaders: dict[str, tuple[Callable[[dict[str, Any]], Any], bool, int]] = {}
        """Per stored type name: the class's loader, whether it declares ``version``, its schema version."""
        self._loaders_generation = -1

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as instances of ``cls``."""
        if not isinstance(name, str) or not name:
            raise ValueError("an event type name must be a non-empty string")
        if not (isinstance(cls, type) and issubclass(cls, DomainEvent)):
            raise TypeError(f"register_event_type needs a DomainEvent subclass, got {cls!r}")
        self._types[name] = cls
        self._loaders.pop(name, None)

    def resolve(self, name: Any) -> type[DomainEvent]:
        """The class that stored events of type ``name`` are read as."""
        cls = self._types.get(name) if isinstance(name, str) else None
        if cls is None and isinstance(name, str):
            cls = event_types.resolve(name)
        if cls is None:
            raise UnknownEventTypeError(
                f"no event class is known for the stored event type {name!r}; import the module that "
                f"defines it, or call store.register_event_type({name!r}, EventClass)",
                event_type=name,
            )
        return cls

    def serialize(self, event: DomainEvent) -> bytes:
        """The JSON bytes of ``event.to_dict()``."""
        try:
            return dumps_json(schema_stamped(event).to_dict())
        except (TypeError, ValueError) as exc:
            raise EventPersistenceError(
                f"cannot serialize {type(event).__name__} to JSON: {exc}",
                details={"event_type": type(event).__name__},
            ) from exc

    def deserialize(self, data: bytes | str) -> DomainEvent:
        """Rebuild an event from ``serialize`` output."""
        document = self._load(data)
        return self.resolve(document.get("event_type"))._from_stored(document)

    def deserialize_stored(
        self,
        data: bytes | str,
        position: int,
        version: int,
        upcast: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> DomainEvent:
        """Rebuild a stored event with its position and version, upcasting the data first."""
        return self.stored_decoder(upcast)(data, position, version)

    def stored_decoder(
        self, upcast: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> Callable[[bytes | str, int, int], DomainEvent]:
        """A function ``(data, position, version) -> event`` for a store's read path.

        It does what ``deserialize_stored`` does in one call per event: parse, upcast, find the
        class's loader (cached per type name, refreshed when event classes are registered),
        check the stored schema version is not newer than the class's, stamp position and
        version, build. A failure goes to ``_failed`` (see the module docs).
        """
        loads, loaders, registry = loads_json, self._loaders, event_types

        def decode(data: bytes | str, position: int, version: int) -> DomainEvent:
            try:
                document = loads(data)
                if type(document) is not dict:
                    raise EventLoadError(
                        f"a stored event must be a JSON object, got {type(document).__name__}"
                    )
                if upcast is not None:
                    document = upcast(document)
                if self._loaders_generation != registry.generation:
                    loaders.clear()
                    self._loaders_generation = registry.generation
                name = document.get("event_type")
                entry = loaders.get(name) if type(name) is str else None
                if entry is None:
                    entry = self._loader(name)
                if document.get("schema_version", 1) > entry[2]:
                    raise _newer_version(document, entry[2], position)
                document["sequence_number"] = position
                if entry[1]:
                    document["version"] = version
                loaded: DomainEvent = entry[0](document)
                return loaded
            except Exception as exc:  # the one boundary of the read path: explain, or record
                return _failed(exc, data, position, version)

        return decode

    def _loader(self, name: Any) -> tuple[Callable[[dict[str, Any]], Any], bool, int]:
        cls = self.resolve(name)
        entry = (compile_message(cls).load, declares_version(cls), current_schema_version(cls))
        self._loaders[str(name)] = entry
        return entry

    @staticmethod
    def _load(data: bytes | str) -> dict[str, Any]:
        try:
            document = loads_json(data)
        except ValueError as exc:
            raise EventLoadError(f"a stored event is not valid JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise EventLoadError(f"a stored event must be a JSON object, got {type(document).__name__}")
        return document


def _newer_version(document: dict[str, Any], known: int, position: int) -> EventVersionSkewError:
    name = str(document.get("event_type"))
    stored = document.get("schema_version")
    return EventVersionSkewError(
        f"the stored {name} at position {position} has schema version {stored}, newer than the "
        f"v{known} this process knows (a newer service wrote it); deploy the newer {name} class, or "
        "read through VersionAwareSubscription to have such events reported instead",
        event_type=name,
        stored_version=stored if type(stored) is int else known + 1,
        known_version=known,
        position=position,
    )


def _failed(exc: Exception, data: bytes | str, position: int, version: int) -> DomainEvent:
    """An event failed to decode: an ``UnknownEvent`` inside ``reading_version_skew()``, else raise."""
    if isinstance(exc, UnknownEventTypeError) and exc.position is None:
        exc.position = position
        exc.details["position"] = position
    if tolerating_version_skew():
        return _unknown_event(exc, data, position, version)
    if isinstance(exc, LexigramError):
        raise exc
    if isinstance(exc, ValueError) and _not_json(data):
        raise EventLoadError(
            f"a stored event is not valid JSON: {exc}", details={"position": position}
        ) from exc
    raise EventLoadError(
        f"the stored event at position {position} cannot be decoded: {type(exc).__name__}: {exc}; "
        "check the upcasters of its type and version",
        details={"position": position},
    ) from exc


def _not_json(data: bytes | str) -> bool:
    try:
        loads_json(data)
    except ValueError:
        return True
    return False


def _unknown_event(exc: Exception, data: bytes | str, position: int, version: int) -> UnknownEvent:
    try:
        document = loads_json(data)
    except ValueError:
        document = None
    if type(document) is not dict:
        raw = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data)
        document = {"raw": raw}
    name = document.get("event_type")
    stored = document.get("schema_version", 1 if "raw" not in document else None)
    known: int | None = None
    if isinstance(exc, UnknownEventTypeError):
        reason = SkewReason.UNKNOWN_TYPE
    elif isinstance(exc, EventVersionSkewError):
        reason, known = SkewReason.NEWER_VERSION, exc.known_version
    else:
        reason = SkewReason.UNREADABLE
    return UnknownEvent(
        original_type=str(name) if name is not None else "?",
        reason=reason.value,
        stored_version=stored if type(stored) is int else None,
        known_version=known,
        error=None if reason is SkewReason.UNKNOWN_TYPE else _error_text(exc),
        stream_version=version,
        data=document,
        sequence_number=position,
        aggregate_id=_text_or_none(document.get("aggregate_id")),
        aggregate_type=_text_or_none(document.get("aggregate_type")),
    )


def _error_text(exc: Exception) -> str:
    return str(exc) if isinstance(exc, LexigramError) else f"{type(exc).__name__}: {exc}"


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json_row(event: DomainEvent) -> tuple[str, str, str, bytes]:
    """The default serializer's row: the id and time come from the one ``to_dict`` it encodes."""
    try:
        document = schema_stamped(event).to_dict()
        return document["event_id"], event.event_type, document["occurred_at"], dumps_json(document)
    except (TypeError, ValueError) as exc:
        raise EventPersistenceError(
            f"cannot serialize {type(event).__name__} to JSON: {exc}",
            details={"event_type": type(event).__name__},
        ) from exc


class EventCodec:
    """The serializer of one store, with position stamping and schema evolution applied on read.

    Decoding strategy is chosen once, when the codec is built, never per event.
    """

    def __init__(
        self, serializer: EventSerializerProtocol | None = None, schema_evolution: Any = None
    ) -> None:
        self.serializer: EventSerializerProtocol = (
            serializer if serializer is not None else JsonEventSerializer()
        )
        upcast = getattr(schema_evolution, "upcast", None)
        self._upcast: Callable[[dict[str, Any]], dict[str, Any]] | None = upcast if callable(upcast) else None
        stored = getattr(self.serializer, "deserialize_stored", None)
        self._decode_stored: Callable[..., DomainEvent] | None = stored if callable(stored) else None
        decoder = getattr(self.serializer, "stored_decoder", None)
        self.decode: Callable[[bytes | str, int, int], DomainEvent] = (
            decoder(self._upcast) if callable(decoder) else self._decode_generic
        )
        """Rebuild a stored event with ``sequence_number=position`` and its stream ``version``.

        The JSON default decodes in one call per event (its ``stored_decoder``); other serializers
        go through ``deserialize_stored`` or ``deserialize``.
        """
        serialize = self.serializer.serialize
        self.encode: Callable[[DomainEvent], bytes] = (
            serialize
            if type(self.serializer) is JsonEventSerializer
            else lambda event: serialize(schema_stamped(event))
        )
        """Serialize an event with its class's current schema version stamped on it."""
        own_row = getattr(self.serializer, "encode_row", None)
        self.encode_row: Callable[[DomainEvent], tuple[str, str, str, bytes]] = (
            _json_row
            if type(self.serializer) is JsonEventSerializer
            else own_row
            if callable(own_row)
            else self._row
        )
        """(event id, event type, occurred at, data) of an event, for stores with those columns."""

    def _row(self, event: DomainEvent) -> tuple[str, str, str, bytes]:
        return str(event.event_id), event.event_type, event.occurred_at.isoformat(), self.encode(event)

    def register_event_type(self, name: str, cls: type[DomainEvent]) -> None:
        """Read stored events of type ``name`` as ``cls`` (when the serializer supports it)."""
        register = getattr(self.serializer, "register_event_type", None)
        if not callable(register):
            raise TypeError(
                f"{type(self.serializer).__name__} does not support register_event_type; "
                "register the type with the serializer itself"
            )
        register(name, cls)

    def _decode_generic(self, data: bytes | str, position: int, version: int) -> DomainEvent:
        if self._decode_stored is not None:
            return self._decode_stored(data, position, version, self._upcast)
        event = self.serializer.deserialize(data if isinstance(data, bytes) else data.encode())
        if not isinstance(event, DomainEvent):
            raise EventLoadError(f"{type(self.serializer).__name__}.deserialize returned {event!r}")
        return stored_copy(event, position, version)
