"""Deciding when to snapshot, and building the policy from configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexigram.events import (
    CompositePolicy,
    EventCountPolicy,
    OnDemandPolicy,
    SnapshotContext,
    TimeBasedPolicy,
)
from lexigram.events.config import SnapshotConfig, SnapshotStrategy
from lexigram.events.snapshots import policy_from_config

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def context(
    version: int, last_snapshot_version: int = 0, last_snapshot_at: datetime | None = None
) -> SnapshotContext:
    return SnapshotContext("o-1", "Order", version, 1, last_snapshot_version, last_snapshot_at)


def test_event_count_counts_from_the_last_snapshot() -> None:
    policy = EventCountPolicy(100)
    assert not policy.should_snapshot(context(99))
    assert policy.should_snapshot(context(100))
    assert not policy.should_snapshot(context(150, last_snapshot_version=100))
    assert policy.should_snapshot(context(205, last_snapshot_version=100))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_event_count_needs_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="EventCountPolicy"):
        EventCountPolicy(bad)  # type: ignore[arg-type]


def test_time_based_snapshots_when_the_last_one_is_old_enough() -> None:
    policy = TimeBasedPolicy(timedelta(minutes=5), clock=lambda: NOON)
    assert policy.should_snapshot(context(1))  # no snapshot yet
    assert not policy.should_snapshot(context(9, 5, NOON - timedelta(minutes=4)))
    assert policy.should_snapshot(context(9, 5, NOON - timedelta(minutes=5)))
    assert not policy.should_snapshot(context(5, 5, NOON - timedelta(hours=1)))  # nothing new


@pytest.mark.parametrize("bad", [0, -1.0, "60"])
def test_time_based_needs_a_positive_interval(bad: object) -> None:
    with pytest.raises(ValueError, match="positive interval"):
        TimeBasedPolicy(bad)  # type: ignore[arg-type]


def test_composite_combines_with_any_or_all() -> None:
    count, time = EventCountPolicy(10), TimeBasedPolicy(60, clock=lambda: NOON)
    fresh_but_many = context(20, 5, NOON)
    assert CompositePolicy(count, time).should_snapshot(fresh_but_many)
    assert not CompositePolicy([count, time], require_all=True).should_snapshot(fresh_but_many)
    assert CompositePolicy([count, time], require_all=True).should_snapshot(
        context(20, 5, NOON - timedelta(hours=1))
    )


def test_composite_needs_policies() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CompositePolicy()
    with pytest.raises(TypeError, match="SnapshotPolicy"):
        CompositePolicy([EventCountPolicy(1), "often"])  # type: ignore[list-item]


def test_on_demand_never_snapshots_by_itself() -> None:
    assert not OnDemandPolicy().should_snapshot(context(10_000))


def test_every_config_field_shapes_the_policy() -> None:
    by_count = policy_from_config(SnapshotConfig(event_count_threshold=7))
    assert isinstance(by_count, EventCountPolicy)
    assert by_count.n == 7
    by_time = policy_from_config(
        SnapshotConfig(strategy=SnapshotStrategy.TIME_BASED, time_threshold_seconds=90)
    )
    assert isinstance(by_time, TimeBasedPolicy)
    assert by_time.interval == timedelta(seconds=90)
    assert isinstance(policy_from_config(SnapshotConfig(strategy=SnapshotStrategy.ON_DEMAND)), OnDemandPolicy)
    assert isinstance(policy_from_config(SnapshotConfig(enabled=False)), OnDemandPolicy)


def test_policies_have_readable_reprs() -> None:
    assert repr(CompositePolicy(EventCountPolicy(5), OnDemandPolicy())) == (
        "CompositePolicy(EventCountPolicy(5), OnDemandPolicy())"
    )
    assert repr(TimeBasedPolicy(30)) == "TimeBasedPolicy(30.0)"
