"""Domain base classes (the same objects as ``lexigram.contracts.domain``)."""

from lexigram.contracts.messages import Command, DomainEvent

__all__ = ["Command", "DomainEvent"]
