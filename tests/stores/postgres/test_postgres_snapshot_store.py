"""Snapshots in PostgreSQL restore the aggregate they were taken from, types included."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from lexigram.events import AggregateRoot, DomainEvent, ValueObject
from lexigram.events.exceptions import EventPersistenceError
from lexigram.events.stores.postgres import PostgresSnapshotStore
from lexigram.events.types import Snapshot


class Tier(enum.Enum):
    GOLD = "gold"
    SILVER = "silver"


class Money(ValueObject):
    amount: Decimal
    currency: str = "EUR"


class PgAccountOpened(DomainEvent):
    account_id: str


class Account(AggregateRoot):
    balance: Money = Money(Decimal("0"))
    tier: Tier = Tier.SILVER

    def open(self) -> None:
        self._apply(PgAccountOpened(account_id=str(self.id)))

    def _handle_pg_account_opened(self, event: PgAccountOpened) -> None:
        self.opened_on = date(2024, 5, 1)
        self.cut_off = time(17, 30)
        self.grace = timedelta(days=3, seconds=5)
        self.tags = {"vip", "early"}
        self.frozen_tags = frozenset({"a"})
        self.history = [(1, "open"), (2, "fund")]
        self.by_day = {date(2024, 5, 1): Decimal("10.50"), 7: "seven"}
        self.last_seen = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        self.digest = b"\x00\x01binary"
        self.huge = 2**80
        self.ratio = float("inf")
        self.nested = {"$t": "not a tag", "list": [None, True, 1.5]}


async def test_an_aggregate_restored_from_a_snapshot_equals_the_saved_one(
    pg_snapshot_store: PostgresSnapshotStore,
) -> None:
    account = Account(uuid4(), balance=Money(Decimal("12.30")), tier=Tier.GOLD)
    account.open()
    await pg_snapshot_store.save_snapshot(account.create_snapshot())

    loaded = await pg_snapshot_store.get_latest(account.id)
    assert loaded is not None
    restored = Account.from_snapshot(loaded)
    assert type(restored.id) is UUID
    assert restored.id == account.id
    assert restored.to_dict() == account.to_dict()
    assert restored.balance == Money(Decimal("12.30"))
    assert restored.tier is Tier.GOLD
    assert restored.version == account.version
    assert isinstance(restored.history[0], tuple)


async def test_metadata_keeps_its_types_too(pg_snapshot_store: PostgresSnapshotStore) -> None:
    taken = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    metadata: dict[str, Any] = {"by": UUID(int=7), "at": taken, "reason": "nightly"}
    await pg_snapshot_store.save_snapshot(
        Snapshot(
            aggregate_id="a-1", aggregate_type="A", version=4, state={}, timestamp=taken, metadata=metadata
        )
    )
    loaded = await pg_snapshot_store.get_by_version("a-1", 4)
    assert loaded is not None
    assert loaded.metadata == metadata
    assert loaded.timestamp == taken


async def test_a_state_that_cannot_be_stored_is_refused_with_its_location(
    pg_snapshot_store: PostgresSnapshotStore,
) -> None:
    class Opaque:
        pass

    snapshot = Snapshot(aggregate_id="a-1", aggregate_type="A", version=1, state={"inner": {"x": [Opaque()]}})
    with pytest.raises(EventPersistenceError, match=r"state\['inner'\]\['x'\]\[0\] holds a .*Opaque"):
        await pg_snapshot_store.save_snapshot(snapshot)
    assert await pg_snapshot_store.get_latest("a-1") is None


async def test_an_older_version_than_the_kept_ones_is_not_kept(
    pg_snapshot_store: PostgresSnapshotStore,
) -> None:
    for version in (10, 11, 12, 13, 14):
        await pg_snapshot_store.save("a-1", {"v": version}, version)
    await pg_snapshot_store.save("a-1", {"v": 3}, 3)
    assert await pg_snapshot_store.get_by_version("a-1", 3) is None
    assert (await pg_snapshot_store.get_by_version("a-1", 10)) is not None
    await pg_snapshot_store.save("a-1", {"v": 15}, 15)
    assert await pg_snapshot_store.get_by_version("a-1", 10) is None
    assert await pg_snapshot_store.delete_old_snapshots("a-1", keep_count=5) == 0
