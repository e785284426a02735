"""After storing encrypted events, no byte of their PII is anywhere: files, dumps, outbox, logs."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lexigram.contracts.events.records import Snapshot
from lexigram.events import (
    EventBusImpl,
    PostgresEventStore,
    PostgresSnapshotStore,
    SqliteEventStore,
    SqliteSnapshotStore,
)
from lexigram.events.config import PostgresEventStoreConfig, SqliteConfig
from lexigram.events.encryption import EncryptedSnapshotStore, SubjectKeyedEventStore
from lexigram.events.stores.postgres.subject_key_store import PostgresSubjectKeyStore
from lexigram.events.stores.sqlite.subject_key_store import SqliteSubjectKeyStore

from .events import ALIAS, CustomerContacted, CustomerOnboarded, encrypted_serializer

EMAIL, PHONE, NOTE_EMAIL = b"ada.lovelace@example.com", b"+15550100777", b"grace.hopper@example.org"


def customer_events() -> list[CustomerOnboarded | CustomerContacted]:
    return [
        CustomerOnboarded(customer_id="c1", email=EMAIL.decode(), phone=PHONE.decode()),
        CustomerContacted(customer_id="c2", email=NOTE_EMAIL.decode(), phone=PHONE.decode(), visits=3),
    ]


def snapshot_of(customer: str) -> Snapshot:
    return Snapshot(
        aggregate_id=customer, aggregate_type="Customer", version=2, state={"email": EMAIL.decode()}
    )


def assert_no_pii(raw: bytes, where: str) -> None:
    for secret in (EMAIL, PHONE, NOTE_EMAIL):
        assert secret not in raw, f"{secret!r} found in plaintext in {where}"


async def test_sqlite_files_hold_no_pii(tmp_path: Path, master_keys: dict[str, bytes]) -> None:
    config = SqliteConfig(database=str(tmp_path / "app.db"))
    keys = SqliteSubjectKeyStore(config)
    serializer = encrypted_serializer(master_keys, subject_keys=keys)
    events = SqliteEventStore(config, event_serializer=serializer, outbox=True)
    store = SubjectKeyedEventStore(events, serializer)
    snapshots = EncryptedSnapshotStore(SqliteSnapshotStore(config), serializer, key_alias=ALIAS)
    for event in customer_events():
        await store.append(f"customer-{event.customer_id}", [event])
    await snapshots.save_snapshot(snapshot_of("c1"))

    assert [e.email for e in await store.read_all()] == [EMAIL.decode(), NOTE_EMAIL.decode()]
    assert (await snapshots.get_latest("c1")).state == {"email": EMAIL.decode()}  # type: ignore[union-attr]
    files = sorted(tmp_path.glob("app.db*"))
    assert any(path.name.endswith("-wal") for path in files)  # the WAL is scanned too
    assert_no_pii(b"".join(path.read_bytes() for path in files), "the SQLite files")
    await snapshots.close()
    await events.close()
    await keys.close()
    assert_no_pii(b"".join(path.read_bytes() for path in tmp_path.glob("app.db*")), "the closed SQLite files")


async def test_postgres_dump_holds_no_pii(
    pg_config: Callable[..., PostgresEventStoreConfig], postgres_dsn: str, master_keys: dict[str, bytes]
) -> None:
    config = pg_config()
    prefix = pg_config.prefixes[-1]
    keys = PostgresSubjectKeyStore(config, table=f"{prefix}_keys")
    serializer = encrypted_serializer(master_keys, subject_keys=keys)
    events = PostgresEventStore(config, provider=keys.pool, event_serializer=serializer, outbox=True)
    store = SubjectKeyedEventStore(events, serializer)
    snapshots = EncryptedSnapshotStore(
        PostgresSnapshotStore(config, provider=keys.pool),
        serializer,
        key_alias=ALIAS,
        subject=lambda s: s.key,
    )
    for event in customer_events():
        await store.append(f"customer-{event.customer_id}", [event])
    await snapshots.save_snapshot(snapshot_of("c2"))
    assert [e.phone for e in await store.read_all()] == [PHONE.decode(), PHONE.decode()]
    assert (await snapshots.get_latest("c2")).state["email"] == EMAIL.decode()  # type: ignore[union-attr]

    dump = subprocess.run(
        ["/usr/bin/pg_dump", "--data-only", "--table", f"{prefix}*", postgres_dsn],
        capture_output=True,
        timeout=60,
        check=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    ).stdout
    assert f"{prefix}_events".encode() in dump
    assert b"customer-c1" in dump
    assert_no_pii(dump, "pg_dump")
    await snapshots.close()
    await events.close()
    await keys.close()


async def test_logs_never_show_pii(caplog: pytest.LogCaptureFixture, master_keys: dict[str, bytes]) -> None:
    caplog.set_level(logging.DEBUG)
    bus = EventBusImpl()

    async def failing_handler(event: CustomerOnboarded) -> None:
        raise RuntimeError(f"could not welcome {event!r}")

    bus.subscribe(CustomerOnboarded, failing_handler)
    event = customer_events()[0]
    await bus.publish(event)
    await bus.flush()
    await bus.close()
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    logged += caplog.text
    assert "could not welcome CustomerOnboarded(" in logged  # the failure was logged, with the repr...
    assert_no_pii(logged.encode(), "the logs")  # ...which masks the PII
    assert EMAIL.decode() not in str(event)
    assert "email='***'" in repr(event)
