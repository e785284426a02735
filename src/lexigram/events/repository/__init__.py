"""Repositories: collection-like access to aggregates."""

from lexigram.events.repository.base import AbstractReadOnlyRepository, AbstractRepository
from lexigram.events.repository.event_sourcing import EventSourcingRepository

__all__ = ["AbstractReadOnlyRepository", "AbstractRepository", "EventSourcingRepository"]
