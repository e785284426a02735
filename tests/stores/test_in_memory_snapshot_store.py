"""What the in-memory snapshot store adds to the contract."""

from __future__ import annotations

import pytest

from lexigram.events import InMemorySnapshotStore, Snapshot


def _snapshot(version: int) -> Snapshot:
    return Snapshot(aggregate_id="a", aggregate_type="A", version=version, state={"v": version})


async def test_only_the_highest_versions_are_kept_even_when_an_older_one_arrives() -> None:
    store = InMemorySnapshotStore(max_snapshots_per_aggregate=2)
    for version in (10, 20, 5):
        await store.save_snapshot(_snapshot(version))
    assert await store.get_by_version("a", 5) is None
    assert [(await store.get_by_version("a", v)) is not None for v in (10, 20)] == [True, True]


async def test_the_save_forms_are_not_mixed() -> None:
    store = InMemorySnapshotStore()
    with pytest.raises(TypeError, match="no state or version"):
        await store.save(_snapshot(1), {"v": 1})
    with pytest.raises(TypeError, match="state and version"):
        await store.save("a", {"v": 1})


async def test_clear_drops_everything() -> None:
    store = InMemorySnapshotStore()
    await store.save("a", {"v": 1}, 1)
    store.clear()
    assert await store.load("a") is None


@pytest.mark.parametrize("bad", [0, -1, True, "5"])
def test_a_bad_limit_is_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="max_snapshots_per_aggregate"):
        InMemorySnapshotStore(max_snapshots_per_aggregate=bad)  # type: ignore[arg-type]


async def test_ids_must_not_be_empty() -> None:
    store = InMemorySnapshotStore()
    with pytest.raises(ValueError, match="aggregate_id"):
        await store.get_latest("")
    with pytest.raises(ValueError, match="aggregate_id"):
        await store.get_latest(None)


async def test_states_that_cannot_be_pickled_are_kept_as_copies_too() -> None:
    class LocalItem:  # a local class cannot be pickled
        def __init__(self, sku: str) -> None:
            self.sku = sku

    store = InMemorySnapshotStore()
    items = [LocalItem("A")]
    await store.save("a", {"items": items}, 1)
    items[0].sku = "changed after saving"
    loaded = await store.get_latest("a")
    assert loaded is not None
    assert loaded.state["items"][0].sku == "A"
    loaded.state["items"][0].sku = "changed after loading"
    again = await store.get_latest("a")
    assert again is not None
    assert again.state["items"][0].sku == "A"
