"""``DeadLetterCodec``: how the durable dead-letter stores write an entry's event and read it back.

The event goes through the store's ``event_serializer`` (``JsonEventSerializer`` by default), so
an encrypting serializer keeps personal data out of the table and reading rebuilds the event as
its original class. An event the serializer cannot handle (a plain object without ``to_dict``)
is refused with ``DeadLetterStoreError``; the bus logs that and goes on.
"""

from __future__ import annotations

from typing import Any

from lexigram.contracts.events.dead_letters import DeadLetterEntry
from lexigram.contracts.events.stores import EventSerializerProtocol
from lexigram.events.exceptions import DeadLetterStoreError
from lexigram.events.stores.serialization import JsonEventSerializer

__all__ = ["DeadLetterCodec"]


class DeadLetterCodec:
    """Serializes dead-letter events with a store's serializer, with errors that say what to do."""

    def __init__(self, serializer: EventSerializerProtocol | None) -> None:
        if serializer is not None and not (
            callable(getattr(serializer, "serialize", None))
            and callable(getattr(serializer, "deserialize", None))
        ):
            raise TypeError(f"event_serializer must have serialize() and deserialize(), got {serializer!r}")
        self.serializer: EventSerializerProtocol = (
            serializer if serializer is not None else JsonEventSerializer()
        )

    def serialize(self, entry: DeadLetterEntry) -> bytes:
        """The stored bytes of the entry's event."""
        try:
            data = self.serializer.serialize(entry.event)
        except Exception as exc:  # the serializer boundary: any serializer's failure, reported once
            raise DeadLetterStoreError(
                f"the {entry.event_type} event that {entry.handler_name} failed on cannot be stored as a "
                f"dead letter ({exc}); durable dead-letter stores keep serializable events (DomainEvent "
                "subclasses)",
                details={"event_type": entry.event_type, "handler_name": entry.handler_name},
            ) from exc
        stored: Any = data  # third-party serializers may hand back text
        return stored.encode() if isinstance(stored, str) else bytes(stored)

    def deserialize(self, data: bytes, entry_id: str, event_type: str) -> Any:
        """The entry's event, rebuilt as its original class."""
        try:
            return self.serializer.deserialize(data)
        except Exception as exc:  # the serializer boundary: a missing class, a wrong key, damaged bytes
            raise DeadLetterStoreError(
                f"the event of dead letter {entry_id} ({event_type}) cannot be read back: {exc}; import the "
                "module that defines the event class, or give the store the serializer (and keys) it was "
                "written with",
                details={"entry_id": entry_id, "event_type": event_type},
            ) from exc
