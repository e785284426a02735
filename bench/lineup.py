"""Who is measured on a backend (lexigram, raw, and eventsourcing when installed), and their figures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bench.common import EVENTSOURCING, LEXIGRAM, RAW, Figure
from bench.context import POSTGRES, BenchContext
from bench.lexigram_side import LexigramSide
from bench.raw_postgres import RawPostgresSide
from bench.raw_sqlite import RawSqliteSide
from bench.sides import Side

T = TypeVar("T")

SideFactory = Callable[[], Side]


def side_factories(
    context: BenchContext, backend: str, what: str, writers: int = 1
) -> dict[str, SideFactory]:
    """A factory per subject; each call gives a side on fresh tables (or a fresh file).

    ``writers`` is how many tasks will write at once: the connections each side opens.
    """

    def lexigram() -> Side:
        return LexigramSide(context, backend, context.tag(f"{what}l"), connections=writers)

    def raw() -> Side:
        tag = context.tag(f"{what}r")
        if backend == POSTGRES:
            assert context.pg is not None
            return RawPostgresSide(context.pg.dsn, tag, connections=writers)
        return RawSqliteSide(context.sqlite_file(tag))

    factories: dict[str, SideFactory] = {LEXIGRAM: lexigram, RAW: raw}
    if context.eventsourcing:
        from bench.eventsourcing_side import EventsourcingSide

        def eventsourcing() -> Side:
            threads = writers if writers > 1 else 0
            return EventsourcingSide(context, backend, context.tag(f"{what}e"), threads=threads)

        factories[EVENTSOURCING] = eventsourcing
    return factories


async def on_fresh_side(factory: SideFactory, body: Callable[[Side], Awaitable[T]]) -> T:
    """Open a side on fresh tables, run ``body`` with it, and always close it."""
    side = factory()
    await side.open()
    try:
        return await body(side)
    finally:
        await side.close()


async def open_all(factories: dict[str, SideFactory]) -> dict[str, Side]:
    """Open one side per subject (close them with ``close_all``)."""
    opened: dict[str, Side] = {}
    try:
        for subject, factory in factories.items():
            side = factory()
            await side.open()
            opened[subject] = side
    except BaseException:
        await close_all(opened)
        raise
    return opened


async def close_all(sides: dict[str, Side]) -> None:
    """Close every side."""
    for side in sides.values():
        await side.close()


def fresh_runs(
    factories: dict[str, SideFactory], body: Callable[[Side], Awaitable[T]]
) -> dict[str, Callable[[int], Awaitable[T]]]:
    """For ``interleaved``: per subject, a run of ``body`` on a side with fresh tables."""

    def runner(factory: SideFactory) -> Callable[[int], Awaitable[T]]:
        async def run(_attempt: int) -> T:
            return await on_fresh_side(factory, body)

        return run

    return {subject: runner(factory) for subject, factory in factories.items()}


def figures(
    workload: str,
    backend: str,
    metric: str,
    unit: str,
    results: dict[str, list[float]],
    *,
    lower_is_better: bool,
    extra: dict[str, dict[str, Any]] | None = None,
) -> list[Figure]:
    """Lexigram's best run beside raw's best run, and eventsourcing's (when measured) beside it too.

    Every run is kept in ``extra`` (``runs``, ``raw_runs``) so a reader can see the spread.
    """
    pick = min if lower_is_better else max
    raw = pick(results[RAW])
    made: list[Figure] = []
    for subject in (LEXIGRAM, EVENTSOURCING):
        if subject not in results:
            continue
        details = {
            "statistic": f"best of {len(results[subject])}",
            "runs": [round(value, 4) for value in results[subject]],
            "raw_runs": [round(value, 4) for value in results[RAW]],
            **(extra or {}).get(subject, {}),
        }
        made.append(
            Figure(
                workload,
                backend,
                metric,
                pick(results[subject]),
                raw,
                unit,
                lower_is_better=lower_is_better,
                extra=details,
                subject=subject,
            )
        )
    return made


def rate_figures_with_typed(
    workload: str, backend: str, metric: str, results: dict[str, list[float]], typed: list[float]
) -> list[Figure]:
    """Read-rate figures against the raw read, then ours against a raw read that builds typed events."""
    made = figures(workload, backend, metric, "ev/s", results, lower_is_better=False)
    made.extend(
        figures(
            workload,
            backend,
            "vs raw + typed events",
            "ev/s",
            {LEXIGRAM: results[LEXIGRAM], RAW: typed},
            lower_is_better=False,
            extra={LEXIGRAM: {"note": "raw column: raw read + typed_event() per row"}},
        )
    )
    return made
