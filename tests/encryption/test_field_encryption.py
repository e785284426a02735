"""PII fields are encrypted at rest; everything else stays readable; keys rotate without rewrites."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.events import SqliteEventStore
from lexigram.events.config import SqliteConfig
from lexigram.events.encryption import ENVELOPE, EncryptedEventSerializer, encryption_of, key_id
from lexigram.events.exceptions import EventLoadError, SecurityError
from lexigram.events.stores.serialization import JsonEventSerializer

from .events import ALIAS, CustomerOnboarded, NoteTaken, OrderPlaced, encrypted_serializer

SPEC = Path(os.environ.get("LEXIGRAM_SPEC_DIR", Path(__file__).resolve().parents[3] / "shared" / "spec"))
EXAMPLE = SPEC / "examples" / "s000_04_encrypted_event.py"


def onboarded(customer: str = "c1") -> CustomerOnboarded:
    return CustomerOnboarded(customer_id=customer, email=f"{customer}@example.com", phone="+15550100")


def rows(database: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(database) as connection:
        return [
            json.loads(data) for (data,) in connection.execute("SELECT data FROM events ORDER BY position")
        ]


async def store_with(database: Path, keys: Any) -> SqliteEventStore:
    store = SqliteEventStore(
        SqliteConfig(database=str(database)), event_serializer=encrypted_serializer(keys)
    )
    await store.connect()
    return store


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the product examples are not beside this checkout")
def test_the_seed_example_runs() -> None:
    result = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"


async def test_pii_is_sealed_and_the_rest_stays_queryable(
    tmp_path: Path, master_keys: dict[str, bytes]
) -> None:
    store = await store_with(tmp_path / "e.db", master_keys)
    await store.append("customer-c1", [onboarded()])
    await store.close()
    (row,) = rows(tmp_path / "e.db")
    assert "email" not in row
    assert "phone" not in row
    assert row["customer_id"] == "c1"
    assert row["event_type"] == "CustomerOnboarded"
    envelope = row[ENVELOPE]
    assert envelope["k"] == ALIAS
    assert envelope["i"] == key_id(master_keys[ALIAS])
    with sqlite3.connect(tmp_path / "e.db") as connection:  # readable fields work in SQL
        (found,) = connection.execute(
            "SELECT count(*) FROM events WHERE data ->> 'customer_id' = 'c1'"
        ).fetchone()
    assert found == 1


async def test_events_read_back_equal_and_stamped(tmp_path: Path, master_keys: dict[str, bytes]) -> None:
    store = await store_with(tmp_path / "e.db", master_keys)
    original = onboarded()
    await store.append("customer-c1", [original, OrderPlaced(order_id="o1", customer_id="c1", total=5)])
    first, second = await store.read("customer-c1")
    assert (first.email, first.phone, first.customer_id) == ("c1@example.com", "+15550100", "c1")
    assert first.event_id == original.event_id
    assert first.sequence_number == 1
    assert isinstance(second, OrderPlaced)
    assert second.total == 5
    assert [e.event_type for e in await store.read_all()] == ["CustomerOnboarded", "OrderPlaced"]
    await store.close()


def test_unencrypted_events_are_stored_exactly_as_by_the_json_serializer(
    master_keys: dict[str, bytes],
) -> None:
    event = OrderPlaced(order_id="o1", customer_id="c1", total=5)
    serializer = EncryptedEventSerializer(master_keys)
    assert serializer.serialize(event) == JsonEventSerializer().serialize(event)
    assert serializer.plan_of(OrderPlaced) is None  # decided once, cached


def test_default_fields_are_every_payload_field_or_the_pii_marked_ones() -> None:
    from .events import CustomerContacted

    assert encryption_of(CustomerOnboarded).fields == ("email", "phone")  # type: ignore[union-attr]
    assert encryption_of(NoteTaken).fields == ("note",)  # type: ignore[union-attr]
    contacted = encryption_of(CustomerContacted)
    assert contacted is not None
    assert contacted.fields == ("email", "phone", "visits")
    assert encryption_of(OrderPlaced) is None


def test_the_repr_of_an_encrypted_event_masks_pii() -> None:
    text = repr(onboarded())
    assert "c1@example.com" not in text
    assert "+15550100" not in text
    assert "email='***'" in text
    assert "customer_id='c1'" in text


async def test_keys_rotate_without_rewriting_old_events(tmp_path: Path) -> None:
    first, second = Fernet.generate_key(), Fernet.generate_key()
    database = tmp_path / "e.db"
    store = await store_with(database, {ALIAS: first})
    await store.append("customer-c1", [onboarded("c1")])
    await store.close()

    rotated = await store_with(database, {ALIAS: [second, first]})  # newest first
    await rotated.append("customer-c2", [onboarded("c2")])
    assert [e.email for e in await rotated.read_all()] == ["c1@example.com", "c2@example.com"]
    await rotated.close()
    assert [row[ENVELOPE]["i"] for row in rows(database)] == [key_id(first), key_id(second)]

    retired = await store_with(database, {ALIAS: [second]})
    assert (await retired.read("customer-c2"))[0].email == "c2@example.com"
    with pytest.raises(SecurityError, match=ALIAS) as failure:
        await retired.read("customer-c1")
    assert key_id(first) in str(failure.value)
    await retired.close()


async def test_a_key_added_at_runtime_is_picked_up(master_keys: dict[str, bytes]) -> None:
    writer_keys = {ALIAS: Fernet.generate_key()}
    data = EncryptedEventSerializer(writer_keys).serialize(onboarded())
    live_keys: dict[str, Any] = dict(master_keys)
    reader = encrypted_serializer(live_keys)
    reader.serialize(onboarded())  # caches the alias's keys
    live_keys[ALIAS] = [master_keys[ALIAS], writer_keys[ALIAS]]
    assert reader.deserialize(data).email == "c1@example.com"


async def test_a_missing_key_is_a_security_error_on_write_and_on_read(tmp_path: Path) -> None:
    store = await store_with(tmp_path / "e.db", {})
    with pytest.raises(SecurityError, match="events/pii-key"):
        await store.append("customer-c1", [onboarded()])
    assert await store.read_all() == []
    await store.close()

    writer = await store_with(tmp_path / "e.db", {ALIAS: Fernet.generate_key()})
    await writer.append("customer-c1", [onboarded()])
    await writer.close()
    reader = await store_with(tmp_path / "e.db", {"other/alias": Fernet.generate_key()})
    with pytest.raises(SecurityError, match="events/pii-key"):
        await reader.read("customer-c1")
    await reader.close()


async def test_a_wrong_key_never_passes_ciphertext_off_as_data(tmp_path: Path) -> None:
    writer = await store_with(tmp_path / "e.db", {ALIAS: Fernet.generate_key()})
    await writer.append("customer-c1", [onboarded()])
    await writer.close()
    reader = await store_with(tmp_path / "e.db", {ALIAS: Fernet.generate_key()})
    with pytest.raises(SecurityError, match="events/pii-key"):
        await reader.read("customer-c1")
    await reader.close()


async def test_tampered_ciphertext_is_detected(tmp_path: Path, master_keys: dict[str, bytes]) -> None:
    store = await store_with(tmp_path / "e.db", master_keys)
    await store.append("customer-c1", [onboarded()])
    await store.close()
    (row,) = rows(tmp_path / "e.db")
    token = row[ENVELOPE]["c"]
    row[ENVELOPE]["c"] = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    with sqlite3.connect(tmp_path / "e.db") as connection:
        connection.execute("UPDATE events SET data = ?", (json.dumps(row),))
    reader = await store_with(tmp_path / "e.db", master_keys)
    with pytest.raises(SecurityError, match="altered"):
        await reader.read("customer-c1")
    row[ENVELOPE] = "not an envelope"
    with sqlite3.connect(tmp_path / "e.db") as connection:
        connection.execute("UPDATE events SET data = ?", (json.dumps(row),))
    with pytest.raises(EventLoadError, match="malformed"):
        await reader.read("customer-c1")
    await reader.close()


@pytest.mark.parametrize("bad", ["not-a-key", b"short", 42, [], ["ok?", None]])
def test_invalid_key_material_names_the_alias(bad: Any) -> None:
    with pytest.raises(SecurityError, match="events/pii-key"):
        EncryptedEventSerializer({ALIAS: bad}).serialize(onboarded())


def test_events_stored_before_encryption_still_read(master_keys: dict[str, bytes]) -> None:
    plain = JsonEventSerializer().serialize(onboarded())
    assert encrypted_serializer(master_keys).deserialize(plain).email == "c1@example.com"


async def test_upcasters_see_plaintext(tmp_path: Path, master_keys: dict[str, bytes]) -> None:
    seen: list[dict[str, Any]] = []

    class LowercaseEmails:
        def upcast(self, data: dict[str, Any]) -> dict[str, Any]:
            seen.append(dict(data))
            if data.get("event_type") == "CustomerOnboarded":
                data["email"] = data["email"].upper()
            return data

    config = SqliteConfig(database=str(tmp_path / "e.db"))
    store = SqliteEventStore(
        config, event_serializer=encrypted_serializer(master_keys), schema_evolution=LowercaseEmails()
    )
    await store.append("customer-c1", [onboarded()])
    (event,) = await store.read("customer-c1")
    assert event.email == "C1@EXAMPLE.COM"
    assert seen[0]["email"] == "c1@example.com"
    assert ENVELOPE not in seen[0]
    await store.close()


def test_bad_configuration_is_refused_with_a_hint() -> None:
    from lexigram.contracts.domain import DomainEvent
    from lexigram.events.decorators import encrypted_event

    with pytest.raises(ConfigurationError, match="get"):
        EncryptedEventSerializer(["not", "a", "provider"])
    with pytest.raises(ConfigurationError, match="JsonEventSerializer"):
        EncryptedEventSerializer({}, json_serializer=object())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="key alias"):
        encrypted_event(key_alias="")
    with pytest.raises(ConfigurationError, match="not payload fields"):

        @encrypted_event(key_alias=ALIAS, fields=("mail",))
        class Misspelt(DomainEvent):
            email: str

    with pytest.raises(ConfigurationError, match="tuple"):

        @encrypted_event(key_alias=ALIAS, fields="email")
        class Stringly(DomainEvent):
            email: str

    with pytest.raises(ConfigurationError, match="subject"):

        @encrypted_event(key_alias=ALIAS, fields=("customer_id",), subject="customer_id")
        class SubjectSealed(DomainEvent):
            customer_id: str

    with pytest.raises(ConfigurationError, match="DomainEvent"):
        encrypted_event(key_alias=ALIAS)(dict)  # type: ignore[type-var]
