"""Domain contracts: ``DomainEvent`` and ``Command``."""

from lexigram.contracts.messages import Command, DomainEvent

__all__ = ["Command", "DomainEvent"]
