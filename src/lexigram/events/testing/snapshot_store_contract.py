"""``SnapshotStoreContract``: the conformance suite every snapshot store passes.

Subclass it and provide a ``snapshot_store`` fixture that gives each test a new, empty store::

    class TestMySnapshotStore(SnapshotStoreContract):
        max_snapshots_per_aggregate = 5   # the limit your fixture's store was built with

        @pytest.fixture
        async def snapshot_store(self):
            store = MySnapshotStore(...)
            yield store
            await store.close()
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import pytest

from lexigram.contracts.events.records import Snapshot

__all__ = ["SnapshotStoreContract"]

AGGREGATE = UUID("5f1c1f7e-2f55-4a8e-8a0b-5d0a6f7e9c21")


def _snapshot(version: int, aggregate_id: Any = "order-1", **state: Any) -> Snapshot:
    return Snapshot(
        aggregate_id=aggregate_id,
        aggregate_type="Order",
        version=version,
        state={"status": "open", "items": ["A", "B"], "total": 12.5, "version_seen": version, **state},
    )


class SnapshotStoreContract:
    """The snapshot-store conformance suite; subclass it and provide a ``snapshot_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    max_snapshots_per_aggregate: ClassVar[int | None] = None
    """The per-aggregate limit of the fixture's store; None skips the check of that limit."""

    async def test_an_unknown_aggregate_has_no_snapshot(self, snapshot_store: Any) -> None:
        assert await snapshot_store.get_latest("nobody") is None
        assert await snapshot_store.get_by_version("nobody", 1) is None
        assert await snapshot_store.load("nobody") is None

    async def test_a_saved_snapshot_comes_back(self, snapshot_store: Any) -> None:
        saved = _snapshot(7)
        await snapshot_store.save_snapshot(saved)
        loaded = await snapshot_store.get_latest("order-1")
        assert str(loaded.aggregate_id) == "order-1"
        assert loaded.aggregate_type == "Order"
        assert loaded.version == 7
        assert loaded.state == saved.state
        assert abs(loaded.timestamp - saved.timestamp) <= timedelta(milliseconds=1)

    async def test_snapshots_are_keyed_by_the_string_of_the_id(self, snapshot_store: Any) -> None:
        await snapshot_store.save_snapshot(_snapshot(3, aggregate_id=AGGREGATE))
        assert (await snapshot_store.get_latest(str(AGGREGATE))).version == 3
        assert (await snapshot_store.get_latest(AGGREGATE)).version == 3
        assert (await snapshot_store.get_by_version(AGGREGATE, 3)).version == 3

    async def test_the_latest_is_the_highest_version(self, snapshot_store: Any) -> None:
        for version in (5, 9, 2):
            await snapshot_store.save_snapshot(_snapshot(version))
        assert (await snapshot_store.get_latest("order-1")).version == 9
        assert (await snapshot_store.get_by_version("order-1", 5)).state["version_seen"] == 5
        assert await snapshot_store.get_by_version("order-1", 4) is None

    async def test_saving_a_version_again_replaces_it(self, snapshot_store: Any) -> None:
        await snapshot_store.save_snapshot(_snapshot(4, status="open"))
        await snapshot_store.save_snapshot(_snapshot(4, status="shipped"))
        assert (await snapshot_store.get_by_version("order-1", 4)).state["status"] == "shipped"
        assert await snapshot_store.delete_old_snapshots("order-1", keep_count=0) == 1

    async def test_delete_old_snapshots_keeps_the_newest(self, snapshot_store: Any) -> None:
        for version in (1, 2, 3, 4):
            await snapshot_store.save_snapshot(_snapshot(version))
        assert await snapshot_store.delete_old_snapshots("order-1", keep_count=2) == 2
        assert await snapshot_store.get_by_version("order-1", 2) is None
        assert (await snapshot_store.get_by_version("order-1", 3)).version == 3
        assert await snapshot_store.delete_old_snapshots("order-1", keep_count=2) == 0
        assert await snapshot_store.delete_old_snapshots("nobody") == 0

    async def test_the_store_keeps_at_most_its_limit(self, snapshot_store: Any) -> None:
        limit = self.max_snapshots_per_aggregate
        if limit is None:
            return
        for version in range(1, limit + 3):
            await snapshot_store.save_snapshot(_snapshot(version))
        assert await snapshot_store.get_by_version("order-1", 2) is None
        assert (await snapshot_store.get_by_version("order-1", 3)).version == 3
        assert (await snapshot_store.get_latest("order-1")).version == limit + 2

    async def test_both_save_forms_and_load(self, snapshot_store: Any) -> None:
        await snapshot_store.save("order-1", {"status": "open"}, 3)
        assert await snapshot_store.load("order-1") == ({"status": "open"}, 3)
        await snapshot_store.save(_snapshot(5))
        state, version = await snapshot_store.load("order-1")
        assert version == 5
        assert state["status"] == "open"

    async def test_aggregates_do_not_share_snapshots(self, snapshot_store: Any) -> None:
        await snapshot_store.save_snapshot(_snapshot(2, aggregate_id="a"))
        await snapshot_store.save_snapshot(_snapshot(8, aggregate_id="b"))
        assert (await snapshot_store.get_latest("a")).version == 2
        await snapshot_store.delete_old_snapshots("a", keep_count=0)
        assert (await snapshot_store.get_latest("b")).version == 8

    async def test_changing_a_saved_or_loaded_state_changes_nothing_stored(self, snapshot_store: Any) -> None:
        saved = _snapshot(1)
        await snapshot_store.save_snapshot(saved)
        saved.state["items"].append("mutated after saving")
        loaded = await snapshot_store.get_latest("order-1")
        loaded.state["items"].append("mutated after loading")
        assert (await snapshot_store.get_latest("order-1")).state["items"] == ["A", "B"]

    async def test_typed_state_comes_back_with_its_types(self, snapshot_store: Any) -> None:
        state = {
            "id": AGGREGATE,
            "total": Decimal("19.99"),
            "placed_at": datetime(2024, 5, 1, 10, 30, tzinfo=UTC),
            "due": date(2024, 6, 1),
            "lines": [("LAMP", 2), ("SHADE", 1)],
            "tags": {"gift", "fragile"},
            "nested": {"refs": [AGGREGATE], "note": None, "flag": True, "ratio": 0.5},
        }
        await snapshot_store.save_snapshot(
            Snapshot(
                aggregate_id="typed", aggregate_type="Order", version=1, state=state, metadata={"by": "test"}
            )
        )
        loaded = await snapshot_store.get_latest("typed")
        assert loaded.state == state
        assert isinstance(loaded.state["total"], Decimal)
        assert isinstance(loaded.state["id"], UUID)
        assert loaded.state["lines"][0] == ("LAMP", 2)
        assert loaded.metadata == {"by": "test"}

    async def test_bad_snapshots_are_rejected(self, snapshot_store: Any) -> None:
        with pytest.raises(ValueError, match="version"):
            await snapshot_store.save_snapshot(_snapshot(-1))
        not_a_dict: Any = ["not", "a", "dict"]
        with pytest.raises(TypeError):
            await snapshot_store.save_snapshot(
                Snapshot(aggregate_id="a", aggregate_type="A", version=1, state=not_a_dict)
            )
        with pytest.raises(ValueError, match="keep_count"):
            await snapshot_store.delete_old_snapshots("a", keep_count=-1)
        assert await snapshot_store.get_latest("a") is None
