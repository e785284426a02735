"""``DomainEvent``: an immutable fact that happened in the domain."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from lexigram.contracts.messages.ids import new_uuid, utc_now
from lexigram.contracts.messages.lazy import install_lazy_fields
from lexigram.contracts.messages.model import MessageModel
from lexigram.contracts.messages.registry import event_types
from lexigram.contracts.messages.rules import load_datetime, load_uuid

__all__ = ["DomainEvent"]


class DomainEvent(MessageModel):
    """Base class for domain events.

    Declare the payload as annotations on a subclass; every field is a keyword argument::

        class OrderShipped(DomainEvent):
            order_id: str
            tracking_number: str

    The base fields are all optional: ``event_id`` (a fresh UUID), ``occurred_at`` (UTC now),
    ``event_type`` (the class name), ``schema_version``, and the envelope fields
    ``aggregate_id``, ``aggregate_type``, ``sequence_number`` (the global position once stored),
    ``actor_id``, ``correlation_id`` and ``causation_id``. Every subclass is registered under its
    class name so that stores can rebuild it.
    """

    __lexigram_base__ = True
    __identity_field__: ClassVar[str | None] = "event_id"

    event_id: UUID = field(default_factory=new_uuid)
    occurred_at: datetime = field(default_factory=utc_now)
    event_type: str = ""
    schema_version: int = 1
    aggregate_id: UUID | str | None = None
    aggregate_type: str | None = None
    sequence_number: int | None = None
    actor_id: str | None = None
    correlation_id: UUID | str | None = None
    causation_id: UUID | str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_types.register(cls.__name__, cls)

    def with_context(
        self,
        *,
        correlation_id: UUID | str | None = None,
        causation_id: UUID | str | None = None,
        actor_id: str | None = None,
    ) -> DomainEvent:
        """Return a copy carrying the given correlation, causation and actor ids (None keeps)."""
        changes: dict[str, Any] = {}
        if correlation_id is not None:
            changes["correlation_id"] = correlation_id
        if causation_id is not None:
            changes["causation_id"] = causation_id
        if actor_id is not None:
            changes["actor_id"] = actor_id
        return self._validated_replace(**changes) if changes else self


install_lazy_fields(DomainEvent, {"event_id": load_uuid, "occurred_at": load_datetime})
