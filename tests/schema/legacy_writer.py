"""Writing events as older code wrote them, through the stores' public API.

A store encodes each appended event with its serializer. ``LegacyWriter`` is a serializer that
writes a given stored document instead of the event's own ``to_dict()``: appending a ``Legacy``
placeholder of the same type stores exactly that document, as an older (or newer) service would
have. Reading then goes through a store built with the current code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from lexigram.contracts.messages import DomainEvent
from lexigram.events.stores.serialization import JsonEventSerializer, dumps_json

StoreFactory = Callable[..., Any]
"""``factory(event_serializer=None, schema_evolution=None)``: a new store on the same database."""


class Legacy(DomainEvent):
    """A placeholder for a stored document of another shape (free-form: any payload)."""


class LegacyWriter(JsonEventSerializer):
    """Serializes each ``Legacy`` placeholder as the document it stands for."""

    def __init__(self) -> None:
        super().__init__()
        self._documents: dict[UUID, dict[str, Any]] = {}

    def placeholder(self, document: dict[str, Any]) -> Legacy:
        """A placeholder to append for ``document`` (which gets a fresh event id)."""
        stored = {**document, "event_id": str(uuid4())}
        placeholder = Legacy(event_id=UUID(stored["event_id"]), event_type=stored["event_type"])
        self._documents[placeholder.event_id] = stored
        return placeholder

    def serialize(self, event: DomainEvent) -> bytes:
        """The document a placeholder stands for; any other event as usual."""
        document = self._documents.get(event.event_id)
        return super().serialize(event) if document is None else dumps_json(document)
