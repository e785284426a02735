"""Where the Redis stores keep their data: the key layout of one namespace.

======================================  ======  ==============================================================
key                                     type    holds
======================================  ======  ==============================================================
``{ns}:position``                       string  the last global position assigned
``{ns}:log``                            stream  every stored event, entry id ``<position>-0``, in global order
``{ns}:streams``                        set     every stream id
``{ns}:version:<stream id>``            string  the stream version (never goes down, compaction keeps it)
``{ns}:events:<stream id>``             zset    the stream's stored positions, scored by version
``{ns}:info:<stream id>``               hash    ``aggregate_type`` of the stream
``{ns}:snapshots:<aggregate id>``       zset    snapshots (JSON) scored by version (``RedisSnapshotStore``)
======================================  ======  ==============================================================

A log entry has the fields ``s`` (stream id), ``v`` (version), ``t`` (event type), ``h`` (the
stream's partition hash), ``a`` (``occurred_at``, ISO 8601) and ``d`` (the serialized event).

The namespace is wrapped in braces, a Redis Cluster hash tag, so every key of a namespace maps to
one slot, as a cluster requires of the keys of one script. ``RedisStateStore`` itself talks to a
single server; running on a cluster would need a cluster-aware ``StateStoreProtocol`` (untested).
"""

from __future__ import annotations

__all__ = ["RedisKeys"]


class RedisKeys:
    """The keys of one namespace."""

    __slots__ = ("log", "namespace", "position", "prefix", "streams")

    def __init__(self, namespace: str) -> None:
        if not isinstance(namespace, str) or not namespace:
            raise ValueError(f"namespace must be a non-empty string, got {namespace!r}")
        self.namespace = namespace
        self.prefix = "{" + namespace + "}"
        self.position = f"{self.prefix}:position"
        self.log = f"{self.prefix}:log"
        self.streams = f"{self.prefix}:streams"

    def version(self, stream_id: str) -> str:
        """The key of a stream's version."""
        return f"{self.prefix}:version:{stream_id}"

    def events(self, stream_id: str) -> str:
        """The key of a stream's positions by version."""
        return f"{self.prefix}:events:{stream_id}"

    def info(self, stream_id: str) -> str:
        """The key of a stream's information."""
        return f"{self.prefix}:info:{stream_id}"

    def snapshots(self, aggregate_key: str) -> str:
        """The key of an aggregate's snapshots."""
        return f"{self.prefix}:snapshots:{aggregate_key}"

    def of_stream(self, stream_id: str) -> list[str]:
        """The keys an append to a stream touches, in the order the append script expects."""
        return [
            self.version(stream_id),
            self.events(stream_id),
            self.info(stream_id),
            self.log,
            self.position,
            self.streams,
        ]
