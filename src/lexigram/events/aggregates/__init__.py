"""Aggregates, entities and value objects: the write-side domain model."""

from lexigram.events.aggregates.aggregate import AggregateRoot, new_aggregate
from lexigram.events.aggregates.entity import Entity
from lexigram.events.aggregates.fields import Field
from lexigram.events.aggregates.value_object import ValueObject

__all__ = ["AggregateRoot", "Entity", "Field", "ValueObject", "new_aggregate"]
