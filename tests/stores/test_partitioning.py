"""Partitions are decided by a stable hash of the stream id."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import pytest

from lexigram.events.stores.partitioning import Partition, partition_of, stream_hash

STREAMS = [f"order-{n}" for n in range(200)]


def test_the_hash_is_crc32_of_the_utf8_stream_id() -> None:
    assert stream_hash("order-1") == zlib.crc32(b"order-1")
    assert stream_hash("überweisung-7") == zlib.crc32("überweisung-7".encode())


def test_partitions_are_the_same_in_another_process() -> None:
    code = (
        "from lexigram.events.stores.partitioning import partition_of;"
        f"print([partition_of(s, 7) for s in {STREAMS!r}])"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout
    assert output.strip() == str([partition_of(s, 7) for s in STREAMS])


def test_every_partition_gets_streams() -> None:
    counts = [0] * 4
    for stream in STREAMS:
        counts[partition_of(stream, 4)] += 1
    assert all(counts)
    assert sum(counts) == len(STREAMS)


def test_a_partition_contains_its_streams() -> None:
    partition = Partition(2, 4)
    assert all(partition.contains(s) == (partition_of(s, 4) == 2) for s in STREAMS)
    assert all(partition.contains_hash(stream_hash(s)) == partition.contains(s) for s in STREAMS)


@pytest.mark.parametrize(
    ("partition", "total"), [(0, None), (None, 3), (3, 3), (-1, 3), (0, 0), (True, 2), (0, 2.0)]
)
def test_bad_partition_arguments_are_rejected(partition: object, total: object) -> None:
    with pytest.raises(ValueError, match="partition"):
        Partition.from_arguments(partition, total)  # type: ignore[arg-type]


def test_no_partition_means_every_stream() -> None:
    assert Partition.from_arguments(None, None) is None
    assert Partition.from_arguments(1, 3) == Partition(1, 3)
