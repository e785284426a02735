"""Projections: read models built from the event log, kept up to date and rebuilt without downtime.

``ProjectionManager`` registers projections, runs one subscription per projection (catch-up
from a durable checkpoint, then live), applies each projection's ``ErrorPolicy``, parks poison
events per stream, rebuilds and reports status. ``is_replaying()`` tells side effects to hold
back while history is replayed.
"""

from lexigram.events.projections.manager import ProjectionManager, RebuildProgress
from lexigram.events.projections.policies import ErrorAction, ErrorPolicy
from lexigram.events.projections.units import ProjectionFaulted, is_replaying, replaying

__all__ = [
    "ErrorAction",
    "ErrorPolicy",
    "ProjectionFaulted",
    "ProjectionManager",
    "RebuildProgress",
    "is_replaying",
    "replaying",
]
