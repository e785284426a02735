"""``RepositoryFactory``: repositories wired to one application's store, bus and snapshot settings."""

from __future__ import annotations

from typing import Any, TypeVar

from lexigram.contracts.events.buses import EventBusProtocol
from lexigram.contracts.events.stores import EventStoreProtocol, SnapshotStoreProtocol
from lexigram.events.aggregates.aggregate import AggregateRoot
from lexigram.events.config import EventsConfig
from lexigram.events.repository.event_sourcing import EventSourcingRepository
from lexigram.events.snapshots.policies import SnapshotPolicy, policy_from_config

__all__ = ["RepositoryFactory"]

TAggregate = TypeVar("TAggregate", bound=AggregateRoot)


class RepositoryFactory:
    """Builds ``EventSourcingRepository`` instances that use the application's parts.

    Each repository gets the app's event store, snapshot store and event bus, and the snapshot
    policy the ``snapshots`` config asks for. Inject it into a handler::

        class ShipOrderHandler:
            def __init__(self, repositories: RepositoryFactory) -> None:
                self.orders = repositories.for_aggregate(Order)

    One repository is built per aggregate class and reused.
    """

    def __init__(
        self,
        event_store: EventStoreProtocol,
        snapshot_store: SnapshotStoreProtocol,
        event_bus: EventBusProtocol,
        config: EventsConfig,
    ) -> None:
        self.event_store = event_store
        self.snapshot_store = snapshot_store
        self.event_bus = event_bus
        self.snapshot_policy: SnapshotPolicy = policy_from_config(config.snapshots)
        self._repositories: dict[type[Any], EventSourcingRepository[Any]] = {}

    def for_aggregate(self, aggregate_type: type[TAggregate]) -> EventSourcingRepository[TAggregate]:
        """The repository of one aggregate class."""
        repository = self._repositories.get(aggregate_type)
        if repository is None:
            repository = EventSourcingRepository(
                aggregate_type,
                self.event_store,
                snapshot_store=self.snapshot_store,
                event_bus=self.event_bus,
                snapshot_policy=self.snapshot_policy,
            )
            self._repositories[aggregate_type] = repository
        return repository
