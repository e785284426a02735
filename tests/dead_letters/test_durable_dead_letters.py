"""Durable dead letters: a failure survives a restart, is replayed once the handler is fixed, and
personal data stays encrypted at rest when the store is given an encrypting serializer."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from cryptography.fernet import Fernet

from lexigram.contracts.events.dead_letters import DeadLetterEntry
from lexigram.events import DomainEvent, EventBus
from lexigram.events.config import EventBusConfig, PostgresEventStoreConfig, SqliteConfig
from lexigram.events.exceptions import DeadLetterStoreError
from lexigram.events.stores.postgres import PostgresEventStore
from lexigram.events.stores.postgres.dead_letter_store import PostgresDeadLetterStore
from lexigram.events.stores.serialization import JsonEventSerializer
from lexigram.events.stores.sqlite.dead_letter_store import SqliteDeadLetterStore

PostgresConfigFactory = Callable[..., PostgresEventStoreConfig]


class CustomerRegistered(DomainEvent):
    customer_id: str
    email: str


class FernetSerializer:
    """An encrypting serializer: the JSON of the event, encrypted with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._json = JsonEventSerializer()

    def serialize(self, event: Any) -> bytes:
        return self._fernet.encrypt(self._json.serialize(event))

    def deserialize(self, data: bytes) -> Any:
        return self._json.deserialize(self._fernet.decrypt(data))


class WelcomeMailer:
    """Sends the welcome mail; broken until the SMTP settings are fixed."""

    def __init__(self, broken: bool) -> None:
        self.broken = broken
        self.sent: list[str] = []

    async def handle(self, event: CustomerRegistered) -> None:
        if self.broken:
            raise ConnectionError("smtp.example.com refused the connection")
        self.sent.append(event.email)


def failing_fast() -> EventBusConfig:
    return EventBusConfig(retry_failed_handlers=True, max_handler_retries=1, retry_backoff_max_seconds=0.01)


async def test_a_failed_delivery_survives_a_restart_and_is_replayed_once_the_handler_is_fixed(
    sqlite_config: SqliteConfig,
) -> None:
    event = CustomerRegistered(customer_id="c-1", email="ada@example.com")

    # Monday: the mailer is broken; the event ends up in the dead-letter table.
    dead_letters = SqliteDeadLetterStore(sqlite_config)
    bus = EventBus(config=failing_fast(), dead_letter_store=dead_letters)
    broken = WelcomeMailer(broken=True)
    bus.subscribe(CustomerRegistered, broken)
    await bus.publish(event)
    await bus.flush(timeout=10)
    await bus.close()
    await dead_letters.close()  # the process stops

    # Tuesday: a new process, the mailer fixed; the operator replays what failed.
    dead_letters = SqliteDeadLetterStore(sqlite_config)
    (entry,) = await dead_letters.list_entries(handler_name="WelcomeMailer")
    assert entry.event == event
    assert (entry.attempts, entry.replayed) == (2, False)
    assert "smtp.example.com refused" in entry.error
    fixed = WelcomeMailer(broken=False)
    bus = EventBus(config=failing_fast(), dead_letter_store=dead_letters)
    bus.subscribe(CustomerRegistered, fixed)
    assert (await dead_letters.replay(entry.id, bus)).is_ok()
    await bus.flush(timeout=10)
    assert fixed.sent == ["ada@example.com"]
    assert (await dead_letters.get(entry.id)).replayed is True
    assert await dead_letters.get_count() == 1  # kept for the record until deleted
    await dead_letters.delete(entry.id)
    assert await dead_letters.get_count() == 0
    await bus.close()
    await dead_letters.close()


async def test_with_an_encrypting_serializer_no_personal_data_reaches_the_sqlite_table(
    sqlite_config: SqliteConfig,
) -> None:
    key = Fernet.generate_key()
    store = SqliteDeadLetterStore(sqlite_config, event_serializer=FernetSerializer(key))
    event = CustomerRegistered(customer_id="c-1", email="ada@example.com")
    await store.add(
        DeadLetterEntry(event=event, event_type="CustomerRegistered", handler_name="m", error="e", attempts=1)
    )
    await store.close()

    with sqlite3.connect(sqlite_config.database) as connection:
        (data,) = connection.execute("SELECT data FROM dead_letters").fetchone()
    assert b"ada@example.com" not in bytes(data)

    reopened = SqliteDeadLetterStore(sqlite_config, event_serializer=FernetSerializer(key))
    assert (await reopened.list_entries())[0].event == event
    await reopened.close()
    wrong_key = SqliteDeadLetterStore(sqlite_config, event_serializer=FernetSerializer(Fernet.generate_key()))
    with pytest.raises(DeadLetterStoreError, match="cannot be read back"):
        await wrong_key.list_entries()
    await wrong_key.close()


async def test_postgres_dead_letters_share_the_event_stores_pool_and_stay_encrypted(
    pg_config: PostgresConfigFactory, postgres_dsn: str
) -> None:
    config = pg_config()
    events = PostgresEventStore(config=config)
    await events.connect()
    store = PostgresDeadLetterStore(
        config, provider=events.pool, event_serializer=FernetSerializer(Fernet.generate_key())
    )
    bus = EventBus(config=failing_fast(), dead_letter_store=store)
    bus.subscribe(CustomerRegistered, WelcomeMailer(broken=True))
    event = CustomerRegistered(customer_id="c-1", email="ada@example.com")
    await bus.publish(event)
    await bus.flush(timeout=10)
    await bus.close()
    assert [e.event for e in await store.list_entries(event_type="CustomerRegistered")] == [event]

    connection = await asyncpg.connect(postgres_dsn)
    try:
        data = await connection.fetchval(f'SELECT data FROM "{config.dead_letters_table}"')
    finally:
        await connection.close()
    assert b"ada@example.com" not in data
    await store.close()
    assert events.pool.is_open  # the pool stays with the event store
    await events.close()


async def test_an_event_the_serializer_cannot_store_is_refused_and_the_bus_goes_on(
    sqlite_config: SqliteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    @dataclass(frozen=True)
    class Ping:  # a plain dataclass: the bus delivers it, but it has no stored form
        note: str

    store = SqliteDeadLetterStore(sqlite_config)
    with pytest.raises(DeadLetterStoreError, match="cannot be stored"):
        await store.add(
            DeadLetterEntry(event=Ping("x"), event_type="Ping", handler_name="h", error="e", attempts=1)
        )

    async def always_fails(event: Ping) -> None:
        raise RuntimeError("boom")

    bus = EventBus(config=EventBusConfig(retry_failed_handlers=False), dead_letter_store=store)
    bus.subscribe(Ping, always_fails)
    await bus.publish(Ping("y"))
    await bus.flush(timeout=10)
    await bus.close()
    assert "could not record the dead letter of Ping" in caplog.text
    assert await store.get_count() == 0
    await store.close()
