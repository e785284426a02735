"""Run the benchmarks and print their figures beside the raw baselines.

python -m bench.run            # every workload, full size
python -m bench.run --quick    # tiny sizes (what the test suite runs)
python -m bench.run W8         # only some workloads
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from bench import w5_aggregate_load, w8_bus
from bench.common import Figure, environment, report

WORKLOADS: dict[str, Callable[[bool], list[Figure]]] = {
    "W5": w5_aggregate_load.run,
    "W8": w8_bus.run,
}


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the chosen workloads, print the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("workloads", nargs="*", help="workload ids (default: all)", default=[])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--json", action="store_true", help="JSON lines only, no table")
    args = parser.parse_args(argv)
    chosen = [w.upper() for w in args.workloads] or list(WORKLOADS)
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    print(json.dumps({"environment": environment(), "quick": args.quick}))
    figures: list[Figure] = []
    for workload in chosen:
        figures.extend(WORKLOADS[workload](args.quick))
    report(figures, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
