"""``InMemoryCheckpointStore``: projection checkpoints and parked events in process memory."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.events.stores.checkpoint_checks import (
    checked_checkpoint,
    checked_name,
    checked_parked,
    checked_position,
    ended_transaction,
)

if TYPE_CHECKING:
    from lexigram.contracts.events.subscriptions import (
        CheckpointStoreProtocol,
        CheckpointTransactionProtocol,
    )

__all__ = ["InMemoryCheckpointStore", "InMemoryCheckpointTransaction"]


class InMemoryCheckpointTransaction:
    """Buffers the saves and parks of one transaction; the store applies them when it commits.

    There is no database here, so ``session`` is None: a projection that writes its read model
    through a SQL session needs the SQLite or PostgreSQL checkpoint store.
    """

    def __init__(self) -> None:
        self.checkpoints: dict[str, Checkpoint] = {}
        """The checkpoints saved so far, by projection name (the last save of a name wins)."""
        self.parked: dict[tuple[str, int], ParkedEvent] = {}
        """The events parked so far, by projection name and position."""
        self._open = True

    @property
    def session(self) -> None:
        """None: an in-memory store has no SQL database to share with a read model."""
        return None

    async def save(self, checkpoint: Checkpoint) -> None:
        """Record the checkpoint when the transaction commits."""
        self._check_open()
        checked = checked_checkpoint(checkpoint)
        self.checkpoints[checked.projection_name] = checked

    async def park(self, parked: ParkedEvent) -> None:
        """Record a parked event when the transaction commits."""
        self._check_open()
        checked = checked_parked(parked)
        self.parked[(checked.projection_name, checked.position)] = checked

    def end(self) -> None:
        """Refuse any further use: the transaction committed or rolled back."""
        self._open = False

    def _check_open(self) -> None:
        if not self._open:
            raise ended_transaction("save and park")


class InMemoryCheckpointStore:
    """Checkpoints and parked events of projections, kept in a dict of this process.

    Example::

        store = InMemoryCheckpointStore()
        await store.save(Checkpoint("order_totals", position=42))
        async with store.transaction() as transaction:
            await transaction.save(Checkpoint("order_totals", position=43))
        assert (await store.load("order_totals")).position == 43

    A transaction buffers what it saves and parks and applies it all at once when its block ends
    without an exception; when the block raises, nothing of it is applied. The store keeps its
    own copies: changing a ``Checkpoint`` after saving it, or one that ``load`` returned,
    changes nothing stored. Nothing survives the process, so projections using this store
    replay from the start after a restart.
    """

    def __init__(self) -> None:
        self._checkpoints: dict[str, Checkpoint] = {}
        self._parked: dict[tuple[str, int], ParkedEvent] = {}

    async def connect(self) -> None:
        """Nothing to open."""
        return

    async def close(self) -> None:
        """Nothing to release; the data stays available."""
        return

    async def load(self, name: str) -> Checkpoint | None:
        """The checkpoint saved under ``name``, or None."""
        checkpoint = self._checkpoints.get(checked_name(name))
        return None if checkpoint is None else dataclasses.replace(checkpoint)

    async def save(self, checkpoint: Checkpoint) -> None:
        """Save the checkpoint under its ``projection_name`` (insert or replace)."""
        checked = checked_checkpoint(checkpoint)
        self._checkpoints[checked.projection_name] = checked

    async def delete(self, name: str) -> bool:
        """Delete the checkpoint and the parked events of ``name``; True when a checkpoint existed."""
        key = checked_name(name)
        for parked_key in [k for k in self._parked if k[0] == key]:
            del self._parked[parked_key]
        return self._checkpoints.pop(key, None) is not None

    async def list_checkpoints(self) -> list[Checkpoint]:
        """Every saved checkpoint, by name."""
        return [dataclasses.replace(self._checkpoints[name]) for name in sorted(self._checkpoints)]

    async def park(self, parked: ParkedEvent) -> None:
        """Record a parked event (replacing one at the same projection and position)."""
        checked = checked_parked(parked)
        self._parked[(checked.projection_name, checked.position)] = checked

    async def list_parked(self, name: str | None = None) -> list[ParkedEvent]:
        """Parked events of one projection (or of all), by projection and position."""
        wanted = None if name is None else checked_name(name)
        keys = sorted(k for k in self._parked if wanted is None or k[0] == wanted)
        return [dataclasses.replace(self._parked[key]) for key in keys]

    async def remove_parked(self, name: str, position: int) -> bool:
        """Forget one parked event; True when it existed."""
        key = (checked_name(name), checked_position(position))
        return self._parked.pop(key, None) is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InMemoryCheckpointTransaction]:
        """A transaction whose saves and parks are applied together when the block succeeds."""
        transaction = InMemoryCheckpointTransaction()
        try:
            yield transaction
        finally:
            transaction.end()
        self._checkpoints.update(transaction.checkpoints)  # no await in between: applied at once
        self._parked.update(transaction.parked)


if TYPE_CHECKING:

    def _satisfies_the_protocols(
        store: InMemoryCheckpointStore, transaction: InMemoryCheckpointTransaction
    ) -> tuple[CheckpointStoreProtocol, CheckpointTransactionProtocol]:
        return store, transaction
