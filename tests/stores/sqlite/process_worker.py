"""A separate process that uses a SQLite store, for the multi-process tests.

Run as ``python process_worker.py COMMAND DATABASE GO_FILE [ARGS...]``. The worker connects,
prints ``ready``, waits for ``GO_FILE`` to exist (so that every worker starts at the same moment),
does its work and prints one JSON line with what it did.

Commands:

* ``append STREAM COUNT TAG``: COUNT concurrent appends of one event each, any version; prints the versions.
* ``create STREAM COUNT TAG``: COUNT concurrent appends with ``expected_version=0``; prints the outcomes.
* ``write TAG COUNT SEED``: COUNT events over 8 streams in appends of 1 to 5 events; prints the event ids.
* ``hang STREAM``: starts an append and stops inside its transaction, printing ``inside``; never ends.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lexigram.events import ConcurrencyError, SqliteConfig
from lexigram.events.stores.sqlite import SqliteEventStore, database
from lexigram.events.testing.contract_events import ConformanceItemAdded


def item(stream: str, sku: str) -> ConformanceItemAdded:
    return ConformanceItemAdded(order_id=stream, sku=sku, quantity=1)


async def wait_for(go_file: Path) -> None:
    while not go_file.exists():
        await asyncio.sleep(0.002)


async def append(store: SqliteEventStore, stream: str, count: int, tag: str) -> Any:
    return await asyncio.gather(*(store.append(stream, [item(stream, f"{tag}-{n}")]) for n in range(count)))


async def create(store: SqliteEventStore, stream: str, count: int, tag: str) -> Any:
    outcomes = await asyncio.gather(
        *(store.append(stream, [item(stream, f"{tag}-{n}")], expected_version=0) for n in range(count)),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ConcurrencyError):
            raise outcome
    return ["won" if outcome == 1 else "conflict" for outcome in outcomes]


async def write(store: SqliteEventStore, tag: str, count: int, seed: int) -> Any:
    chooser = random.Random(seed)
    written: list[str] = []
    while len(written) < count:
        stream = f"stream-{chooser.randrange(8)}"
        size = min(chooser.randint(1, 5), count - len(written))
        events = [item(stream, f"{tag}-{len(written) + n}") for n in range(size)]
        await store.append(stream, events)
        written.extend(str(event.event_id) for event in events)
        await asyncio.sleep(0.001)  # spread the appends out, so the two writers interleave
    return written


def hanging_transaction(connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], Any]) -> Any:
    connection.execute("BEGIN IMMEDIATE")
    work(connection)
    print("inside", flush=True)
    time.sleep(600)
    raise AssertionError("the test should have killed this process")


async def main(command: str, db: str, go_file: Path, args: list[str]) -> None:
    store = SqliteEventStore(config=SqliteConfig(database=db))
    await store.connect()
    if command == "hang":
        database.in_transaction = hanging_transaction  # stop between the inserts and COMMIT
        await store.append(args[0], [item(args[0], f"doomed-{n}") for n in range(3)])
        return
    print("ready", flush=True)
    await wait_for(go_file)
    if command == "append":
        result = await append(store, args[0], int(args[1]), args[2])
    elif command == "create":
        result = await create(store, args[0], int(args[1]), args[2])
    elif command == "write":
        result = await write(store, args[0], int(args[1]), int(args[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    await store.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:]))
