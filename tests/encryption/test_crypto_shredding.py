"""Forgetting a data subject destroys its key: its PII reads back redacted, everything else works."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import (
    AggregateRoot,
    EventCountPolicy,
    EventSourcingRepository,
    ProjectionManager,
    ProjectionsConfig,
    SqliteEventStore,
    SqliteSnapshotStore,
)
from lexigram.events.config import SqliteConfig
from lexigram.events.encryption import (
    REDACTED,
    EncryptedSnapshotStore,
    RedactedText,
    SubjectKeyedEventStore,
    event_is_redacted,
    redacted_fields,
)
from lexigram.events.exceptions import SecurityError, SubjectForgottenError, SubjectKeyNotLoadedError
from lexigram.events.stores.memory.subject_key_store import InMemorySubjectKeyStore
from lexigram.events.stores.sqlite.subject_key_store import SqliteSubjectKeyStore

from .events import ALIAS, CustomerContacted, OrderPlaced, encrypted_serializer


def contacted(customer: str, visits: int = 1) -> CustomerContacted:
    return CustomerContacted(
        customer_id=customer, email=f"{customer}@example.com", phone="+15550100", visits=visits
    )


class App:
    """One process: an encrypted SQLite event store whose subject keys live in the same file."""

    def __init__(self, database: Path, keys: dict[str, Any]) -> None:
        config = SqliteConfig(database=str(database))
        self.key_store = SqliteSubjectKeyStore(config)
        self.serializer = encrypted_serializer(keys, subject_keys=self.key_store)
        self.raw_store = SqliteEventStore(config, event_serializer=self.serializer)
        self.store = SubjectKeyedEventStore(self.raw_store, self.serializer)

    async def close(self) -> None:
        await self.raw_store.close()
        await self.key_store.close()


async def test_forgetting_a_customer_redacts_only_its_pii(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    app = App(tmp_path / "app.db", master_keys)
    await app.store.append("customer-ada", [contacted("ada"), contacted("ada", 2)])
    await app.store.append("customer-bob", [contacted("bob")])
    await app.store.append("order-1", [OrderPlaced(order_id="o1", customer_id="ada", total=30)])

    assert await app.serializer.forget("ada") is True
    assert await app.serializer.forget("ada") is False  # already forgotten

    first, second = await app.store.read("customer-ada")
    assert first.email is REDACTED
    assert isinstance(first.email, RedactedText)
    assert first.email == "[redacted]"
    assert first.phone is REDACTED
    assert first.visits is None
    assert first.customer_id == second.customer_id == "ada"
    assert event_is_redacted(first)
    assert redacted_fields(first) == ("email", "phone", "visits")
    (bob,) = await app.store.read("customer-bob")
    assert (bob.email, bob.visits, event_is_redacted(bob)) == ("bob@example.com", 1, False)
    assert (await app.store.read("order-1"))[0].total == 30
    await app.close()


async def test_a_forgotten_subject_stays_forgotten_for_every_process(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    writer = App(tmp_path / "app.db", master_keys)
    await writer.store.append("customer-ada", [contacted("ada")])
    await writer.serializer.forget("ada")
    await writer.close()

    reader = App(tmp_path / "app.db", master_keys)  # a fresh process: nothing loaded yet
    assert await reader.serializer.load_keys() == 0  # only the tombstone
    (event,) = await reader.raw_store.read("customer-ada")
    assert event.email is REDACTED
    with pytest.raises(SubjectForgottenError, match="ada"):
        await reader.store.append("customer-ada", [contacted("ada", 2)])
    assert len(await reader.raw_store.read("customer-ada")) == 1  # nothing was written
    await reader.close()


async def test_the_sync_path_never_guesses_and_stores_manage_subject_keys_themselves(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    app = App(tmp_path / "app.db", master_keys)
    with pytest.raises(SubjectKeyNotLoadedError, match="prepare"):
        app.serializer.serialize(contacted("ada"))  # the synchronous path never makes a key up
    await app.raw_store.append("customer-ada", [contacted("ada")])  # the store prepares the key
    await app.close()

    reads = {
        "read": lambda store: store.read("customer-ada"),
        "read_all": lambda store: store.read_all(),
        "read_envelopes": lambda store: store.read_envelopes(),
        "stream_all": lambda store: collected(store.stream_all()),
        "stream_by_type": lambda store: collected(store.stream_by_type(["CustomerContacted"])),
    }
    for name, read in reads.items():
        fresh = App(tmp_path / "app.db", master_keys)  # another process: no key loaded yet
        (found,) = await read(fresh.raw_store)  # the store loads the key it meets
        event = getattr(found, "event", found)
        assert event.email == "ada@example.com", name
        await fresh.close()


async def collected(events: Any) -> list[Any]:
    return [event async for event in events]


async def test_racing_writers_of_a_new_subject_share_one_key(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    apps = [App(tmp_path / "app.db", master_keys) for _ in range(3)]
    await asyncio.gather(
        *(app.store.append(f"visit-{n}", [contacted("ada", n)]) for n, app in enumerate(apps))
    )
    reader = App(tmp_path / "app.db", master_keys)
    await reader.serializer.load_keys()
    events = await reader.raw_store.read_all()
    assert sorted(e.visits for e in events) == [0, 1, 2]
    assert {e.email for e in events} == {"ada@example.com"}
    for app in (*apps, reader):
        await app.close()


async def test_the_data_key_is_stored_wrapped_and_destroyed_for_good(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    app = App(tmp_path / "app.db", master_keys)
    await app.store.append("customer-ada", [contacted("ada")])
    (record,) = await app.key_store.list_keys()
    assert record.wrapped_key is not None
    data_key = Fernet(master_keys[ALIAS]).decrypt(record.wrapped_key.partition(b".")[2])  # base64 text
    assert len(Fernet(data_key).encrypt(b"usable")) > 0

    def raw() -> bytes:
        return b"".join(path.read_bytes() for path in tmp_path.glob("app.db*"))

    assert data_key not in raw()
    assert record.wrapped_key in raw()
    await app.serializer.forget("ada")
    assert record.wrapped_key not in raw()
    with sqlite3.connect(tmp_path / "app.db") as connection:
        (data,) = connection.execute("SELECT data FROM events").fetchone()
    assert b"ada@example.com" not in data
    assert json.loads(data)["customer_id"] == "ada"
    await app.close()


class Customer(AggregateRoot):
    email: str = ""
    visits: int = 0

    def contact(self, email: str) -> None:
        self._apply(CustomerContacted(customer_id=str(self.id), email=email, visits=self.visits + 1))

    def _handle_customer_contacted(self, event: CustomerContacted) -> None:
        self.email, self.visits = event.email, event.visits or self.visits


async def test_aggregates_load_after_forgetting_even_from_a_snapshot(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    app = App(tmp_path / "app.db", master_keys)
    snapshots = EncryptedSnapshotStore(
        SqliteSnapshotStore(SqliteConfig(database=str(tmp_path / "app.db"))),
        app.serializer,
        key_alias=ALIAS,
        subject=lambda snapshot: snapshot.key,
    )
    customers = EventSourcingRepository(
        Customer, app.store, snapshot_store=snapshots, snapshot_policy=EventCountPolicy(2)
    )
    ada = Customer("ada")
    ada.contact("ada@example.com")
    ada.contact("ada@example.org")
    await customers.save(ada)
    assert (await snapshots.get_latest("ada")).state["email"] == "ada@example.org"  # type: ignore[union-attr]
    assert b"ada@example.org" not in b"".join(p.read_bytes() for p in tmp_path.glob("app.db*"))

    await app.serializer.forget("ada")
    reloaded = await customers.get_or_raise("ada")  # the snapshot is dropped, the events replay
    assert (reloaded.email, reloaded.version) == (REDACTED, 2)
    assert await snapshots.store.get_latest("ada") is None
    await snapshots.close()
    await app.close()


async def test_projections_rebuild_after_forgetting(tmp_path: Path, master_keys: dict[str, bytes]) -> None:
    app = App(tmp_path / "app.db", master_keys)
    await app.store.append("customer-ada", [contacted("ada", 3)])
    await app.store.append("customer-bob", [contacted("bob", 2)])

    class Visits:
        replay_on_start = True

        def __init__(self) -> None:
            self.by_customer: dict[str, tuple[str, int]] = {}

        def apply(self, event: CustomerContacted) -> None:
            self.by_customer[event.customer_id] = (event.email.split("@")[0], event.visits or 0)

        def reset(self) -> None:
            self.by_customer.clear()

    await app.close()
    app = App(tmp_path / "app.db", master_keys)  # a fresh process: no key loaded, the wrapper loads them
    manager = ProjectionManager(event_store=app.store, config=ProjectionsConfig(poll_interval=0.05))
    visits = Visits()
    manager.register(visits)
    await manager.start()
    await manager.wait_for_position(2)
    assert visits.by_customer == {"ada": ("ada", 3), "bob": ("bob", 2)}

    await app.serializer.forget("ada")
    assert await manager.rebuild("Visits") == 2
    assert visits.by_customer == {"ada": ("[redacted]", 0), "bob": ("bob", 2)}
    await manager.stop()
    await app.close()


async def test_subject_keys_need_a_subject_key_store(master_keys: dict[str, bytes]) -> None:
    serializer = encrypted_serializer(master_keys)
    with pytest.raises(ConfigurationError, match="subject_keys"):
        serializer.serialize(contacted("ada"))
    with pytest.raises(ConfigurationError, match="subject_keys"):
        await serializer.forget("ada")


async def test_a_subject_key_wrapped_by_another_master_key_is_refused(master_keys: dict[str, bytes]) -> None:
    keys = InMemorySubjectKeyStore()
    writer = encrypted_serializer(master_keys, subject_keys=keys)
    await writer.prepare([contacted("ada")])
    data = writer.serialize(contacted("ada"))
    reader = encrypted_serializer({ALIAS: Fernet.generate_key()}, subject_keys=keys)
    await reader.load_keys()
    with pytest.raises(SecurityError, match="events/pii-key"):
        reader.deserialize(data)


async def test_an_empty_subject_is_refused(master_keys: dict[str, bytes]) -> None:
    from lexigram.contracts.exceptions import ValidationError

    serializer = encrypted_serializer(master_keys, subject_keys=InMemorySubjectKeyStore())
    with pytest.raises(ValidationError, match="customer_id"):
        await serializer.prepare([CustomerContacted(customer_id="", email="x@example.com")])
    with pytest.raises(ValidationError):
        await serializer.forget("")


async def test_a_shreddable_field_must_have_a_redacted_value(master_keys: dict[str, bytes]) -> None:
    from lexigram.contracts.domain import DomainEvent
    from lexigram.events.decorators import encrypted_event

    @encrypted_event(key_alias=ALIAS, subject="patient_id")
    class AgeRecorded(DomainEvent):
        patient_id: str
        age: int

    serializer = encrypted_serializer(master_keys, subject_keys=InMemorySubjectKeyStore())
    with pytest.raises(ConfigurationError, match=r"int \| None"):
        await serializer.prepare([AgeRecorded(patient_id="p1", age=40)])


async def test_forgetting_under_an_explicit_alias(master_keys: dict[str, bytes]) -> None:
    keys = InMemorySubjectKeyStore()
    serializer = encrypted_serializer(master_keys, subject_keys=keys)
    await serializer.prepare([contacted("ada")])
    assert await serializer.forget("ada", key_alias=ALIAS) is True
    assert await serializer.forget("ada", key_alias="events/other") is False
    assert [(r.alias, r.forgotten) for r in await keys.list_keys()] == [("events/other", True), (ALIAS, True)]


def test_the_keyed_store_needs_a_serializer_with_subject_keys(master_keys: dict[str, bytes]) -> None:
    from lexigram.events import InMemoryEventStore

    with pytest.raises(ConfigurationError, match="subject-key store"):
        SubjectKeyedEventStore(InMemoryEventStore(), encrypted_serializer(master_keys))
    with pytest.raises(ConfigurationError, match="EncryptedEventSerializer"):
        SubjectKeyedEventStore(InMemoryEventStore(), object())  # type: ignore[arg-type]


async def test_a_failed_append_leaves_a_usable_key_and_no_event(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    from lexigram.events.exceptions import ConcurrencyError

    app = App(tmp_path / "app.db", master_keys)
    await app.store.append("customer-ada", [contacted("ada")], expected_version=0)
    with pytest.raises(ConcurrencyError):  # the key of "eve" is created first, then the append fails
        await app.store.append("customer-ada", [contacted("eve")], expected_version=0)
    assert [r.subject for r in await app.key_store.list_keys()] == ["ada", "eve"]
    await app.store.append("customer-ada", [contacted("eve")], expected_version=1)  # the retry reuses it
    await app.close()

    reader = App(tmp_path / "app.db", master_keys)
    assert [e.email for e in await reader.store.read("customer-ada")] == [
        "ada@example.com",
        "eve@example.com",
    ]
    await reader.close()
