"""W8 bus: in-process command dispatch to one handler, no store, 100,000 commands.

The raw baseline awaits the same handler directly with the same prebuilt commands.
"""

from __future__ import annotations

import asyncio

from bench.common import Figure, clock
from bench.context import BenchContext
from lexigram.events import Command, CommandBusImpl


class Reserve(Command):
    """The benchmark command."""

    sku: str
    qty: int


async def _measure(count: int, repeats: int) -> list[Figure]:
    handled = 0

    async def reserve(command: Reserve) -> int:
        nonlocal handled
        handled += 1
        return command.qty

    bus = CommandBusImpl()
    bus.register(Reserve, reserve)
    commands = [Reserve(sku=f"SKU-{i % 1000:06d}", qty=i % 7 + 1) for i in range(count)]

    async def through_bus() -> float:
        dispatch = bus.dispatch
        start = clock()
        for command in commands:
            await dispatch(command)
        return (clock() - start) / count

    async def direct() -> float:
        start = clock()
        for command in commands:
            await reserve(command)
        return (clock() - start) / count

    ours = min([await through_bus() for _ in range(repeats)])
    raw = min([await direct() for _ in range(repeats)])
    assert handled == 2 * repeats * count
    start = clock()
    for i in range(count):
        await bus.dispatch(Reserve(sku="SKU-000001", qty=i % 7 + 1))
    with_construction = (clock() - start) / count
    return [
        Figure("W8 bus", "memory", "dispatch (no middleware)", ours * 1e6, raw * 1e6, "us"),
        Figure(
            "W8 bus",
            "memory",
            "build + dispatch",
            with_construction * 1e6,
            raw * 1e6,
            "us",
            extra={"note": "includes constructing each command (fresh id and timestamp)"},
        ),
    ]


def run(context: BenchContext) -> list[Figure]:
    """Run W8 (100,000 commands; 1,000 with --quick)."""
    return asyncio.run(_measure(1000 if context.quick else 100_000, 2 if context.quick else 5))
