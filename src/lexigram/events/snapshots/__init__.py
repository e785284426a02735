"""Snapshots: policies deciding when to take them, and ``SnapshotManager``."""

from lexigram.events.snapshots.manager import SnapshotManager
from lexigram.events.snapshots.policies import (
    CompositePolicy,
    EventCountPolicy,
    OnDemandPolicy,
    SnapshotContext,
    SnapshotPolicy,
    TimeBasedPolicy,
    policy_from_config,
)

__all__ = [
    "CompositePolicy",
    "EventCountPolicy",
    "OnDemandPolicy",
    "SnapshotContext",
    "SnapshotManager",
    "SnapshotPolicy",
    "TimeBasedPolicy",
    "policy_from_config",
]
