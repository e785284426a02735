"""Splitting the global log into partitions by stream, the same way in every process.

A stream belongs to partition ``stream_hash(stream_id) % total_partitions``. The hash is CRC-32 of
the UTF-8 stream id: deterministic across calls, processes, restarts and machines (unlike Python's
``hash``), cheap, and easy to store beside each event so that a database can filter on it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = ["Partition", "partition_of", "stream_hash"]


def stream_hash(stream_id: str) -> int:
    """The stable 32-bit hash of a stream id (CRC-32 of its UTF-8 bytes)."""
    return zlib.crc32(stream_id.encode("utf-8"))


def partition_of(stream_id: str, total_partitions: int) -> int:
    """The partition, between 0 and ``total_partitions - 1``, that a stream belongs to."""
    return stream_hash(stream_id) % total_partitions


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition out of ``total``: the streams whose hash modulo ``total`` is ``index``."""

    index: int
    total: int

    @classmethod
    def from_arguments(cls, partition: int | None, total_partitions: int | None) -> Partition | None:
        """Validate ``stream_all``'s partition arguments; None means "every stream".

        Raises ``ValueError`` when only one of the two is given, when ``total_partitions`` is not a
        positive integer, or when ``partition`` is outside ``0 .. total_partitions - 1``.
        """
        if partition is None and total_partitions is None:
            return None
        if partition is None or total_partitions is None:
            raise ValueError(
                "partition and total_partitions go together: pass both (for example partition=0, "
                f"total_partitions=4) or neither; got partition={partition!r}, "
                f"total_partitions={total_partitions!r}"
            )
        if not _is_int(total_partitions) or total_partitions < 1:
            raise ValueError(f"total_partitions must be a positive integer, got {total_partitions!r}")
        if not _is_int(partition) or not 0 <= partition < total_partitions:
            raise ValueError(
                f"partition must be an integer from 0 to {total_partitions - 1}, got {partition!r}"
            )
        return cls(partition, total_partitions)

    def contains_hash(self, hashed_stream_id: int) -> bool:
        """True when a stream with this ``stream_hash`` belongs to the partition."""
        return hashed_stream_id % self.total == self.index

    def contains(self, stream_id: str) -> bool:
        """True when the stream belongs to the partition."""
        return stream_hash(stream_id) % self.total == self.index


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
