"""``SnapshotManager``: state-dict loading and saving with snapshots."""

from __future__ import annotations

import logging
from uuid import uuid4

import pytest

from lexigram.contracts.domain import DomainEvent
from lexigram.events import (
    ConcurrencyError,
    EventCountPolicy,
    InMemoryEventStore,
    InMemorySnapshotStore,
    Snapshot,
    SnapshotManager,
)
from lexigram.events.config import SnapshotConfig


class Counted(DomainEvent):
    n: int


async def _manager(**options: object) -> tuple[SnapshotManager, InMemoryEventStore, InMemorySnapshotStore]:
    events, snapshots = InMemoryEventStore(), InMemorySnapshotStore(max_snapshots_per_aggregate=50)
    return SnapshotManager(events, snapshots, **options), events, snapshots  # type: ignore[arg-type]


async def test_without_a_snapshot_every_event_is_returned() -> None:
    manager, events, _ = await _manager()
    await events.append("c-1", [Counted(n=1), Counted(n=2)])
    state, loaded, version = await manager.load_with_snapshot("c-1", "Counter")
    assert state is None
    assert version == 0
    assert [e.n for e in loaded] == [1, 2]


async def test_with_a_snapshot_only_later_events_are_returned() -> None:
    manager, events, _ = await _manager()
    await events.append("c-1", [Counted(n=n) for n in range(1, 6)])
    await manager.create_snapshot("c-1", "Counter", 3, {"sum": 6})
    state, loaded, version = await manager.load_with_snapshot("c-1", "Counter")
    assert (state, version, [e.n for e in loaded]) == ({"sum": 6}, 3, [4, 5])


async def test_a_snapshot_of_another_aggregate_type_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    manager, events, _ = await _manager()
    await events.append("c-1", [Counted(n=1)])
    await manager.create_snapshot("c-1", "Invoice", 1, {"x": 1})
    with caplog.at_level(logging.WARNING):
        state, loaded, version = await manager.load_with_snapshot("c-1", "Counter")
    assert state is None
    assert version == 0
    assert len(loaded) == 1
    assert "taken for Invoice" in caplog.text


async def test_save_snapshots_when_the_policy_says_so() -> None:
    manager, events, snapshots = await _manager(policy=EventCountPolicy(3))
    assert not await manager.save_and_maybe_snapshot("c-1", "Counter", [Counted(n=1)], {"sum": 1}, 0)
    assert await manager.save_and_maybe_snapshot(
        "c-1", "Counter", [Counted(n=2), Counted(n=3)], {"sum": 6}, 1
    )
    latest = await snapshots.get_latest("c-1")
    assert latest is not None
    assert (latest.version, latest.state) == (3, {"sum": 6})
    assert not await manager.save_and_maybe_snapshot("c-1", "Counter", [Counted(n=4)], {"sum": 10}, 3)
    assert not await manager.save_and_maybe_snapshot("c-1", "Counter", [], {"sum": 10}, 4)
    assert await events.get_stream_version("c-1") == 4


async def test_a_stale_expected_version_raises_and_takes_no_snapshot() -> None:
    manager, events, snapshots = await _manager(policy=EventCountPolicy(1))
    await events.append("c-1", [Counted(n=1)])
    with pytest.raises(ConcurrencyError):
        await manager.save_and_maybe_snapshot("c-1", "Counter", [Counted(n=2)], {}, 0)
    assert await snapshots.get_latest("c-1") is None


async def test_a_failing_snapshot_is_logged_and_the_save_stands(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(InMemorySnapshotStore):
        async def _write_snapshot(self, key: str, snapshot: Snapshot) -> None:
            raise OSError("read-only file system")

    events = InMemoryEventStore()
    manager = SnapshotManager(events, Broken(), policy=EventCountPolicy(1))
    with caplog.at_level(logging.ERROR):
        taken = await manager.save_and_maybe_snapshot("c-1", "Counter", [Counted(n=1)], {"sum": 1}, 0)
    assert not taken
    assert "read-only file system" in caplog.text
    assert await events.get_stream_version("c-1") == 1


async def test_create_snapshot_accepts_uuid_ids() -> None:
    manager, _, snapshots = await _manager()
    aggregate_id = uuid4()
    snapshot = await manager.create_snapshot(aggregate_id, "Counter", 2, {"sum": 3})
    assert snapshot.aggregate_id == str(aggregate_id)
    assert (await snapshots.get_latest(aggregate_id)) is not None


async def test_force_snapshot_uses_the_stream_version_and_async_extractors() -> None:
    manager, events, _ = await _manager(policy=EventCountPolicy(1000))
    await events.append("c-1", [Counted(n=1), Counted(n=2)])

    async def extract() -> dict[str, int]:
        return {"sum": 3}

    forced = await manager.force_snapshot("c-1", "Counter", extract)
    assert (forced.version, forced.state) == (2, {"sum": 3})
    assert (await manager.force_snapshot("c-1", "Counter", lambda: {"sum": 3})).version == 2


async def test_the_config_limits_how_many_snapshots_are_kept() -> None:
    manager, _, snapshots = await _manager(config=SnapshotConfig(max_snapshots_per_aggregate=2))
    for version in (1, 2, 3, 4):
        await manager.create_snapshot("c-1", "Counter", version, {"v": version})
    assert await snapshots.get_by_version("c-1", 2) is None
    assert (await snapshots.get_by_version("c-1", 3)) is not None
    assert await manager.cleanup_old_snapshots("c-1", keep_count=1) == 1
    assert await manager.cleanup_old_snapshots("c-1") == 0


async def test_the_default_policy_comes_from_the_config() -> None:
    manager, _, snapshots = await _manager(config=SnapshotConfig(enabled=False))
    assert not await manager.save_and_maybe_snapshot(
        "c-1", "Counter", [Counted(n=n) for n in range(200)], {}, 0
    )
    assert await snapshots.get_latest("c-1") is None
    default, _, _ = await _manager()
    assert isinstance(default.policy, EventCountPolicy)
    assert default.policy.n == 100
