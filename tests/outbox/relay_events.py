"""The event the relay crash test appends, shared by the test and its worker processes."""

from __future__ import annotations

from lexigram.contracts.messages import DomainEvent


class CrateLoaded(DomainEvent):
    """One crate loaded onto a lorry: ``number`` is its version in the crate's stream."""

    crate: str
    number: int
