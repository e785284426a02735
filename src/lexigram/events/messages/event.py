"""Events: ``DomainEvent``, ``Event`` (with an aggregate version) and ``IntegrationEvent``."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from lexigram.contracts.messages import DomainEvent

__all__ = ["DomainEvent", "Event", "IntegrationEvent"]


class Event(DomainEvent):
    """A domain event that also carries the version of its aggregate.

    ``Event`` itself declares no payload, so ``Event(data=...)`` accepts any keyword payload.
    """

    __lexigram_base__ = True

    version: int = 0

    def with_version(self, version: int) -> Self:
        """Return a copy at this aggregate version."""
        return self._validated_replace(version=version)

    def for_aggregate(self, aggregate_id: UUID | str, aggregate_type: str) -> Self:
        """Return a copy attributed to this aggregate."""
        return self._validated_replace(aggregate_id=aggregate_id, aggregate_type=aggregate_type)


class IntegrationEvent(Event):
    """An event published to other services; ``source_service`` names the publisher."""

    __lexigram_base__ = True

    source_service: str | None = None
