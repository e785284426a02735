"""A worker process of a consumer group, for the crash tests.

Run as ``python group_worker.py run DSN PREFIX WORKER_ID``: the worker runs the partitioned
projections ``ledger`` (transactional) and ``plain`` (at-least-once) of ``groups.py`` over the
tables named after ``PREFIX``, with 1-second leases, prints ``started`` once its manager runs,
and never ends (the tests kill it).

Starting Python and importing lexigram takes a good part of a second, too long for a test that
restarts workers 50 times, so ``python group_worker.py zygote DSN PREFIX LOG_DIR`` imports
everything once, prints ``ready`` and then forks workers on request: each line ``spawn
WORKER_ID`` on its standard input forks a child (a separate process with its own connections,
output in ``LOG_DIR/WORKER_ID.log``) that runs as ``run`` does, and is answered with ``spawned
WORKER_ID PID``. ``exit`` ends the zygote. Dead children are reaped at every line.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from groups import Ledger, Plain, Worker, config_for  # beside this script, first on sys.path

PARTITIONS = 8
LEASE_TTL = 1.0
DELAY = 0.01
"""Seconds per event a batch spends inside its transaction: a kill nearly always lands mid-batch."""


async def work(dsn: str, prefix: str, worker_id: str) -> None:
    """Run both partitioned projections until killed."""
    config = config_for(dsn, prefix, pool_max_size=12)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    worker = Worker.build(config, worker_id, ttl=LEASE_TTL, batch_size=20, checkpoint_interval=20)
    worker.manager.register(Ledger(prefix, worker_id, DELAY), partitions=PARTITIONS)
    worker.manager.register(Plain(prefix, worker_id, pool, DELAY), partitions=PARTITIONS)
    await worker.manager.start()
    print("started", flush=True)
    await asyncio.Event().wait()


def reap() -> None:
    """Collect the exit status of dead children, so they do not linger as zombies."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def spawn(dsn: str, prefix: str, worker_id: str, log_dir: Path) -> int:
    """Fork a worker; return its pid."""
    pid = os.fork()
    if pid:
        return pid
    try:  # the child
        log = os.open(log_dir / f"{worker_id}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        asyncio.run(work(dsn, prefix, worker_id))
    finally:
        os._exit(1)


def zygote(dsn: str, prefix: str, log_dir: Path) -> None:
    """Fork workers on request (see the module docstring)."""
    print("ready", flush=True)
    for line in sys.stdin:
        reap()
        command, *arguments = line.split()
        if command == "spawn":
            (worker_id,) = arguments
            print(f"spawned {worker_id} {spawn(dsn, prefix, worker_id, log_dir)}", flush=True)
        elif command == "exit":
            return
        else:
            raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        asyncio.run(work(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif sys.argv[1] == "zygote":
        zygote(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        raise SystemExit(f"unknown command {sys.argv[1]!r}")
