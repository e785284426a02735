"""Snapshots survive changes to the aggregate class: a snapshot that no longer fits is replaced."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lexigram.contracts.messages import DomainEvent
from lexigram.events.aggregates.aggregate import AggregateRoot
from lexigram.events.aggregates.fields import Field
from lexigram.events.config import SqliteConfig
from lexigram.events.exceptions import SnapshotReplayError
from lexigram.events.repository import EventSourcingRepository
from lexigram.events.snapshots.fingerprint import FINGERPRINT_KEY, state_fingerprint
from lexigram.events.stores.sqlite import SqliteEventStore, SqliteSnapshotStore


class WishlistItemAdded(DomainEvent):
    wishlist_id: str
    sku: str


class Wishlist(AggregateRoot):
    """The first version of the aggregate: the SKUs are kept in ``items``."""

    items: list[str] = Field(default_factory=list)

    def add(self, sku: str) -> None:
        self._apply(WishlistItemAdded(wishlist_id=str(self.id), sku=sku))

    def _handle_wishlist_item_added(self, event: WishlistItemAdded) -> None:
        self.items.append(event.sku)


def renamed_wishlist() -> type[AggregateRoot]:
    """The next version of the same aggregate: ``items`` was renamed ``skus``."""

    class Wishlist(AggregateRoot):
        skus: list[str] = Field(default_factory=list)

        def _handle_wishlist_item_added(self, event: WishlistItemAdded) -> None:
            self.skus.append(event.sku)

    return Wishlist


class Stores:
    def __init__(self, folder: Path) -> None:
        self.config = SqliteConfig(database=str(folder / "wishlists.db"))
        self.events = SqliteEventStore(self.config)
        self.snapshots = SqliteSnapshotStore(self.config)

    def repository(self, aggregate_type: type[Any]) -> EventSourcingRepository[Any]:
        return EventSourcingRepository(
            aggregate_type, self.events, snapshot_store=self.snapshots, snapshot_every=2
        )


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[Stores]:
    opened = Stores(tmp_path)
    yield opened
    await opened.events.close()
    await opened.snapshots.close()


async def save_two_items(stores: Stores) -> None:
    wishlist = Wishlist("w-1")
    wishlist.add("A-1")
    wishlist.add("B-2")
    await stores.repository(Wishlist).save(wishlist)  # the policy snapshots it at version 2


def test_the_fingerprint_follows_the_declared_state_and_nothing_else() -> None:
    assert state_fingerprint(Wishlist) == state_fingerprint(Wishlist)
    assert state_fingerprint(Wishlist) != state_fingerprint(renamed_wishlist())

    class Retyped(AggregateRoot):
        items: tuple[str, ...] = ()

    class Bumped(Wishlist):
        __snapshot_version__ = 2

    assert state_fingerprint(Retyped) != state_fingerprint(Wishlist)
    assert state_fingerprint(Bumped) != state_fingerprint(Wishlist)


async def test_a_snapshot_of_the_old_shape_is_replaced_by_replaying_the_events(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    await save_two_items(stores)
    old = await stores.snapshots.get_latest("w-1")
    assert old is not None
    assert old.metadata[FINGERPRINT_KEY] == state_fingerprint(Wishlist)

    renamed = renamed_wishlist()
    with caplog.at_level(logging.WARNING):
        loaded = await stores.repository(renamed).get_or_raise("w-1")
    assert (loaded.skus, loaded.version) == (["A-1", "B-2"], 2)
    assert not hasattr(loaded, "items")
    assert "the snapshot of Wishlist w-1 at version 2 was taken for another state schema" in caplog.text

    fresh = await stores.snapshots.get_latest("w-1")
    assert fresh is not None
    assert (fresh.version, fresh.state["skus"], fresh.metadata[FINGERPRINT_KEY]) == (
        2,
        ["A-1", "B-2"],
        state_fingerprint(renamed),
    )
    assert "items" not in fresh.state
    # From now on the fresh snapshot is used: even with the events compacted away, it loads.
    await stores.events.compact("w-1", 2)
    caplog.clear()
    again = await stores.repository(renamed).get_or_raise("w-1")
    assert (again.skus, again.version) == (["A-1", "B-2"], 2)
    assert "replaying" not in caplog.text


async def test_an_unreadable_snapshot_is_replaced_by_replaying_the_events(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    await save_two_items(stores)
    await stores.snapshots.close()
    with sqlite3.connect(stores.config.database) as connection:
        connection.execute("UPDATE snapshots SET content = ?", (b"{not json",))
    with caplog.at_level(logging.WARNING):
        loaded = await stores.repository(Wishlist).get_or_raise("w-1")
    assert (loaded.items, loaded.version) == (["A-1", "B-2"], 2)
    assert "the snapshot of Wishlist w-1 cannot be read" in caplog.text
    fresh = await stores.snapshots.get_latest("w-1")  # replaced at the same version: readable again
    assert fresh is not None
    assert fresh.state["items"] == ["A-1", "B-2"]


async def test_a_stale_snapshot_of_a_compacted_stream_is_an_error_not_a_wrong_state(stores: Stores) -> None:
    await save_two_items(stores)
    wishlist = await stores.repository(Wishlist).get_or_raise("w-1")
    wishlist.add("C-3")
    await stores.repository(Wishlist).save(wishlist)
    await stores.events.compact("w-1", 2)  # the snapshot at v2 stands for the first two events
    with pytest.raises(SnapshotReplayError, match="only 1 of its 3 events are stored"):
        await stores.repository(renamed_wishlist()).get("w-1")
    assert await stores.repository(renamed_wishlist()).exists("w-1")


async def test_a_snapshot_taken_by_hand_without_a_fingerprint_is_used(stores: Stores) -> None:
    wishlist = Wishlist("w-2")
    wishlist.add("A-1")
    await stores.repository(Wishlist).save(wishlist)
    await stores.snapshots.save_snapshot(wishlist.create_snapshot())  # no fingerprint in metadata
    await stores.events.compact("w-2", 1)
    loaded = await stores.repository(Wishlist).get_or_raise("w-2")
    assert (loaded.items, loaded.version) == (["A-1"], 1)
