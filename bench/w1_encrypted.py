"""W1 encrypted: W1 with two of the five payload fields encrypted, beside W1 without, in one run.

The same 10,000 single-event appends to new streams as W1, through the same stores, once with an
``EncryptedEventSerializer`` and events whose ``sku`` and ``note`` are ``@encrypted_event`` fields
(Fernet, one master key), and once with the default serializer and the plain W1 event. The two
sides alternate; the "raw" column here is plain lexigram W1, so the ratio is the cost of
encryption (target: <= 1.25). Each run also checks that the encrypted side's rows hold no
plaintext of the encrypted fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench.common import LEXIGRAM, NOTE, RAW, Figure, interleaved, make_events
from bench.context import POSTGRES, BenchContext
from bench.lexigram_side import LexigramSide
from bench.lineup import fresh_runs
from bench.sides import Side
from bench.w1_new_streams import WARMUP, append_figures, on_every_backend, timed_appends
from lexigram.contracts.domain import DomainEvent
from lexigram.events import PostgresEventStore, SqliteEventStore
from lexigram.events.decorators import encrypted_event
from lexigram.events.encryption import EncryptedEventSerializer

NAME = "W1e encrypted"
_ALIAS = "bench/pii-key"


@encrypted_event(key_alias=_ALIAS, fields=("sku", "note"))
class SealedItemOrdered(DomainEvent):
    """W1's event with two encrypted fields."""

    order_id: str
    sku: str
    qty: int
    price: str
    note: str


def _sealed_events(count: int) -> list[DomainEvent]:
    return [
        SealedItemOrdered(
            order_id=str(uuid.uuid4()),
            sku=f"SKU-{index % 1000:06d}",
            qty=index % 7 + 1,
            price="19.99",
            note=NOTE,
        )
        for index in range(count)
    ]


class EncryptedSide(LexigramSide):
    """Lexigram's store with an ``EncryptedEventSerializer`` (same config and pool as W1's side)."""

    def __init__(self, context: BenchContext, backend: str, tag: str) -> None:
        super().__init__(context, backend, tag)
        serializer = EncryptedEventSerializer({_ALIAS: Fernet.generate_key()})
        serializer.register_event_type(SealedItemOrdered.__name__, SealedItemOrdered)
        if backend == POSTGRES:
            config = self.store.config
            self.store = PostgresEventStore(config, provider=self.snapshots.pool, event_serializer=serializer)
        else:
            self.store = SqliteEventStore(self.store.config, event_serializer=serializer)


async def _plaintext_stored(side: EncryptedSide) -> bool:
    """True when a row of the encrypted side holds the encrypted ``note`` in plaintext."""
    if side.backend == POSTGRES:
        import asyncpg

        connection = await asyncpg.connect(side.dsn)
        try:
            found = await connection.fetchval(
                f'SELECT count(*) FROM "{side.tag}" WHERE payload::text LIKE $1', f"%{NOTE}%"
            )
        finally:
            await connection.close()
        return bool(found)
    raw = b"".join(path.read_bytes() for path in Path(side.path).parent.glob(Path(side.path).name + "*"))
    return NOTE.encode() in raw


async def _run(side: Side, count: int, make: Callable[[int], list[Any]]) -> tuple[float, float, float, bool]:
    rate, p50, p99 = await timed_appends(side, make(count + WARMUP), "w1e")
    sealed = not isinstance(side, EncryptedSide) or not await _plaintext_stored(side)
    return rate, p50, p99, sealed


async def _measure(context: BenchContext, backend: str, count: int) -> list[Figure]:
    def encrypted() -> Side:
        return EncryptedSide(context, backend, context.tag("w1el"))

    def plain() -> Side:
        return LexigramSide(context, backend, context.tag("w1ep"))

    makers: dict[str, Callable[[int], list[Any]]] = {LEXIGRAM: _sealed_events, RAW: make_events}
    runs = fresh_runs({LEXIGRAM: encrypted, RAW: plain}, lambda side: _run(side, count, _maker(side, makers)))
    results = await interleaved(context.repeats, runs)
    context.check(
        f"{NAME} on {backend}: no plaintext of the encrypted fields in the rows",
        all(r[3] for r in results[LEXIGRAM]),
    )
    baseline = {LEXIGRAM: {"baseline": "lexigram W1 without encryption", "target_ratio": 1.25}}
    return append_figures(NAME, backend, count, results, extra=baseline)


def _maker(side: Side, makers: dict[str, Callable[[int], list[Any]]]) -> Callable[[int], list[Any]]:
    return makers[LEXIGRAM] if isinstance(side, EncryptedSide) else makers[RAW]


def run(context: BenchContext) -> list[Figure]:
    """Run W1 encrypted beside W1 plain on every chosen backend (10,000 streams; 200 with --quick)."""
    return on_every_backend(context, _measure)
