"""Snapshot states are encrypted around any snapshot store; unreadable ones say so, forgotten ones vanish."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.fernet import Fernet

from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import InMemorySnapshotStore, SqliteSnapshotStore
from lexigram.events.config import SqliteConfig
from lexigram.events.encryption import ENVELOPE, EncryptedSnapshotStore
from lexigram.events.exceptions import EventLoadError, SnapshotUnreadableError
from lexigram.events.stores.memory.subject_key_store import InMemorySubjectKeyStore

from .events import ALIAS, encrypted_serializer


def customer_snapshot(version: int = 3) -> Snapshot:
    state = {"email": "ada@example.com", "balance": Decimal("12.50"), "ids": (uuid4(),)}
    return Snapshot(aggregate_id="ada", aggregate_type="Customer", version=version, state=state)


async def test_states_round_trip_with_their_types(tmp_path: Path, master_keys: dict[str, bytes]) -> None:
    inner = SqliteSnapshotStore(SqliteConfig(database=str(tmp_path / "s.db")))
    snapshots = EncryptedSnapshotStore(inner, encrypted_serializer(master_keys), key_alias=ALIAS)
    saved = customer_snapshot()
    await snapshots.save_snapshot(saved)
    assert await snapshots.get_latest("ada") == saved
    assert await snapshots.get_by_version("ada", 3) == saved
    stored = await inner.get_latest("ada")
    assert stored is not None
    assert list(stored.state) == [ENVELOPE]
    assert b"ada@example.com" not in b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert await snapshots.delete_old_snapshots("ada", 0) == 1
    await snapshots.close()


async def test_a_wrong_key_or_altered_state_is_an_unreadable_snapshot(master_keys: dict[str, bytes]) -> None:
    inner = InMemorySnapshotStore()
    await EncryptedSnapshotStore(inner, encrypted_serializer(master_keys), key_alias=ALIAS).save_snapshot(
        customer_snapshot()
    )
    stranger = EncryptedSnapshotStore(
        inner, encrypted_serializer({ALIAS: Fernet.generate_key()}), key_alias=ALIAS
    )
    with pytest.raises(SnapshotUnreadableError, match="ada") as failure:
        await stranger.get_latest("ada")
    assert isinstance(failure.value, EventLoadError)
    assert (failure.value.aggregate_id, failure.value.version) == ("ada", 3)

    stored = await inner.get_latest("ada")
    assert stored is not None
    envelope = dict(stored.state[ENVELOPE])
    envelope["c"] = envelope["c"][:-8] + "AAAAAAAA"
    await inner.save_snapshot(replace(stored, version=4, state={ENVELOPE: envelope}))
    owner = EncryptedSnapshotStore(inner, encrypted_serializer(master_keys), key_alias=ALIAS)
    with pytest.raises(SnapshotUnreadableError, match="altered"):
        await owner.get_latest("ada")
    await inner.save_snapshot(replace(stored, version=5, state={ENVELOPE: "garbage"}))
    with pytest.raises(SnapshotUnreadableError, match="malformed"):
        await owner.get_latest("ada")


async def test_snapshots_saved_before_encryption_still_load(master_keys: dict[str, bytes]) -> None:
    inner = InMemorySnapshotStore()
    saved = customer_snapshot()
    await inner.save_snapshot(saved)
    snapshots = EncryptedSnapshotStore(inner, encrypted_serializer(master_keys), key_alias=ALIAS)
    assert await snapshots.get_latest("ada") == saved


async def test_forgetting_the_subject_drops_its_snapshots(master_keys: dict[str, bytes]) -> None:
    inner = InMemorySnapshotStore()
    serializer = encrypted_serializer(master_keys, subject_keys=InMemorySubjectKeyStore())
    snapshots = EncryptedSnapshotStore(inner, serializer, key_alias=ALIAS, subject="customer")
    snapshot = replace(customer_snapshot(), state={"customer": "ada", "email": "ada@example.com"})
    await snapshots.save_snapshot(snapshot)
    assert await snapshots.get_latest("ada") == snapshot
    await serializer.forget("ada", key_alias=ALIAS)
    assert await snapshots.get_latest("ada") is None
    assert await inner.get_latest("ada") is None  # deleted: the next load replays the events


def test_bad_wiring_is_refused(master_keys: dict[str, bytes]) -> None:
    with pytest.raises(ConfigurationError, match="EncryptedEventSerializer"):
        EncryptedSnapshotStore(InMemorySnapshotStore(), object(), key_alias=ALIAS)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="key_alias"):
        EncryptedSnapshotStore(InMemorySnapshotStore(), encrypted_serializer(master_keys), key_alias="")
    with pytest.raises(ConfigurationError, match="subject"):
        EncryptedSnapshotStore(
            InMemorySnapshotStore(), encrypted_serializer(master_keys), key_alias=ALIAS, subject="customer"
        )
