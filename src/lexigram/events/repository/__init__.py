"""Repositories: collection-like access to aggregates."""

from lexigram.events.repository.base import AbstractReadOnlyRepository, AbstractRepository
from lexigram.events.repository.event_sourcing import EventSourcingRepository
from lexigram.events.repository.factory import RepositoryFactory

__all__ = [
    "AbstractReadOnlyRepository",
    "AbstractRepository",
    "EventSourcingRepository",
    "RepositoryFactory",
]
