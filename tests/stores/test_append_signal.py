"""``AppendSignal``: a generation counter that wakes waiting readers, never losing a wake-up."""

from __future__ import annotations

import asyncio
import math
import time

from lexigram.events import InMemoryEventStore
from lexigram.events.stores.signals import AppendSignal
from lexigram.events.testing.contract_support import item


async def test_notify_raises_the_generation() -> None:
    signal = AppendSignal()
    assert signal.generation == 0
    signal.notify()
    signal.notify()
    assert signal.generation == 2


async def test_wait_returns_at_once_when_the_generation_already_moved_on() -> None:
    signal = AppendSignal()
    seen = signal.generation
    signal.notify()  # between a reader's read and its wait: must not be lost
    assert await signal.wait(seen, 10.0) == 1
    assert await signal.wait(seen) == 1


async def test_wait_times_out_with_the_unchanged_generation() -> None:
    signal = AppendSignal()
    started = time.monotonic()
    assert await signal.wait(0, 0.1) == 0
    assert time.monotonic() - started >= 0.09
    assert signal.waiting == 0


async def test_a_zero_or_negative_wait_only_checks() -> None:
    signal = AppendSignal()
    assert await signal.wait(0, 0) == 0
    assert await signal.wait(0, -1) == 0
    assert await signal.wait(0, math.nan) == 0


async def test_an_infinite_wait_is_woken_by_notify() -> None:
    signal = AppendSignal()
    waiter = asyncio.create_task(signal.wait(0, math.inf))
    await asyncio.sleep(0)
    signal.notify()
    assert await asyncio.wait_for(waiter, 1.0) == 1


async def test_every_waiter_is_woken_by_one_notify() -> None:
    signal = AppendSignal()
    waiters = [asyncio.create_task(signal.wait(0, 10.0)) for _ in range(100)]
    await asyncio.sleep(0)
    assert signal.waiting == 100
    signal.notify()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1.0) == [1] * 100
    assert signal.waiting == 0


async def test_a_waiter_ahead_of_the_generation_waits_for_enough_notifications() -> None:
    signal = AppendSignal()
    waiter = asyncio.create_task(signal.wait(2, 10.0))
    for _ in range(2):
        await asyncio.sleep(0)
        signal.notify()
        await asyncio.sleep(0)
        assert not waiter.done()
    signal.notify()
    assert await asyncio.wait_for(waiter, 1.0) == 3


async def test_a_cancelled_waiter_leaves_nothing_behind() -> None:
    signal = AppendSignal()
    waiter = asyncio.create_task(signal.wait(0))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert waiter.cancelled()
    assert signal.waiting == 0
    signal.notify()  # nothing left to wake


async def test_a_reader_loop_never_misses_an_append() -> None:
    store = InMemoryEventStore()
    seen: list[int] = []

    async def follow() -> None:
        position, generation = 0, store.appends.generation
        while len(seen) < 200:
            batch = await store.read_envelopes(position, 7)
            seen.extend(envelope.position for envelope in batch)
            if batch:
                position = batch[-1].position
            if len(batch) < 7 and len(seen) < 200:
                generation = await store.appends.wait(generation, 5.0)

    reader = asyncio.create_task(follow())
    for number in range(200):
        await store.append(f"s-{number % 3}", [item(f"s-{number % 3}")])
        if number % 5 == 0:
            await asyncio.sleep(0)
    await asyncio.wait_for(reader, 5.0)
    assert seen == list(range(1, 201))
