"""Run the benchmarks and print their figures beside the raw baselines.

python -m bench.run                          # every workload, full size, SQLite and PostgreSQL
python -m bench.run --quick                  # tiny sizes (what the test suite runs)
python -m bench.run W1 W6                    # only some workloads
python -m bench.run --backend sqlite         # only some backends (sqlite, postgres)
python -m bench.run --pg-dsn postgresql://u@host/db   # an existing PostgreSQL server

Without --pg-dsn a full run starts a throwaway PostgreSQL with fsync on and stops it at the end.
Output: a JSON line for the environment, one per figure, one per check and note, then a table
(omitted with --json). Ratios are ours / raw in time (for rates: raw rate / our rate).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from bench import (
    w1_encrypted,
    w1_new_streams,
    w1_outbox,
    w2_batch_append,
    w3_contended,
    w4_read_stream,
    w5_aggregate_load,
    w6_catch_up,
    w7_projection,
    w8_bus,
)
from bench.common import Figure, environment, report
from bench.context import BACKENDS, BenchContext, close_context, open_context

WORKLOADS: dict[str, Callable[[BenchContext], list[Figure]]] = {
    "W1": w1_new_streams.run,
    "W1E": w1_encrypted.run,
    "W1O": w1_outbox.run,
    "W2": w2_batch_append.run,
    "W3": w3_contended.run,
    "W4": w4_read_stream.run,
    "W5": w5_aggregate_load.run,
    "W6": w6_catch_up.run,
    "W7": w7_projection.run,
    "W8": w8_bus.run,
}


def _backends(text: str) -> list[str]:
    chosen = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BACKENDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}"
        )
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen workloads, print the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("workloads", nargs="*", help="workload ids (default: all)", default=[])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--json", action="store_true", help="JSON lines only, no table")
    parser.add_argument(
        "--backend",
        type=_backends,
        default=list(BACKENDS),
        help="comma-separated: sqlite,postgres (default: both)",
    )
    parser.add_argument("--pg-dsn", default=None, help="use this PostgreSQL server instead of starting one")
    args = parser.parse_args(argv)
    chosen = [w.upper() for w in args.workloads] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    context = open_context(args.quick, args.backend, args.pg_dsn)
    try:
        facts = {**environment(), "backends": context.durable_backends(), "repeats": context.repeats}
        if context.pg is not None:
            facts.update(context.pg.describe())
        if context.eventsourcing:
            from bench.eventsourcing_side import installed_version

            facts["eventsourcing"] = installed_version()
        print(json.dumps({"environment": facts, "quick": args.quick}), flush=True)
        for note in context.notes:
            print(json.dumps({"note": note}), flush=True)
        figures: list[Figure] = []
        for workload in chosen:
            figures.extend(WORKLOADS[workload](context))
    finally:
        close_context(context)
    for message, ok in context.checks:
        print(json.dumps({"check": message, "ok": ok}))
    report(figures, args.json)
    if not args.json:
        print()
        for message, ok in context.checks:
            print(f"{'PASS' if ok else 'FAIL'}  {message}")
        for note in context.notes:
            print(f"note: {note}")
    return 0 if all(ok for _message, ok in context.checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
