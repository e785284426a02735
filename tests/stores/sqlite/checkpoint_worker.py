"""A separate process that writes a read model and its checkpoint, for the crash tests.

Run as ``python checkpoint_worker.py COMMAND DATABASE``. The read model is the table ``totals``
(``id``, ``amount``, ``padding``) in the same file as the checkpoints; the tests create it.

Commands:

* ``hang``: opens a transaction, writes 5,000 rows of 1 KB (more than SQLite's page cache, so
  uncommitted pages reach the WAL file) and the checkpoint ``totals`` at position 2, prints
  ``inside`` and sleeps inside the transaction; the test kills it there.
* ``commit-forever``: commits one transaction after another, each adding row ``n`` and saving the
  checkpoint at position ``n``; prints ``committing`` after the first commit and never ends.
"""

from __future__ import annotations

import asyncio
import itertools
import sys

from lexigram.contracts.events.records import Checkpoint
from lexigram.events import SqliteCheckpointStore, SqliteConfig

PADDING = "x" * 1024


async def hang(store: SqliteCheckpointStore) -> None:
    async with store.transaction() as transaction:
        rows = [(f"doomed-{n}", n, PADDING) for n in range(5000)]
        await transaction.session.executemany(
            "INSERT INTO totals (id, amount, padding) VALUES (?, ?, ?)", rows
        )
        await transaction.save(Checkpoint("totals", 2, state="running"))
        print("inside", flush=True)
        await asyncio.sleep(600)
    raise AssertionError("the test should have killed this process")


async def commit_forever(store: SqliteCheckpointStore) -> None:
    for n in itertools.count(1):
        async with store.transaction() as transaction:
            await transaction.session.execute(
                "INSERT INTO totals (id, amount, padding) VALUES (?, ?, ?)", f"row-{n}", n, PADDING
            )
            await transaction.save(Checkpoint("totals", n, state="running"))
        if n == 1:
            print("committing", flush=True)


async def main(command: str, database: str) -> None:
    store = SqliteCheckpointStore(SqliteConfig(database=database))
    await store.connect()
    if command == "hang":
        await hang(store)
    elif command == "commit-forever":
        await commit_forever(store)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
