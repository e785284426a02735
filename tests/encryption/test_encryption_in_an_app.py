"""An application with ``events.encryption.enabled``: PII is encrypted at rest without extra code.

The master key comes from the environment; per-customer data keys live in the app's SQLite file.
Reads see plaintext, the database file never holds it, and forgetting a customer
redacts their PII in the next process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lexigram import Application
from lexigram.contracts.events import EventStoreProtocol
from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di.module import Module, module
from lexigram.events import (
    REDACTED,
    DomainEvent,
    EncryptedEventSerializer,
    EventsConfig,
    EventsModule,
    SqliteConfig,
    SqliteEventStore,
    encrypted_event,
)
from lexigram.events.config import EncryptionConfig, RedisEventStoreConfig
from lexigram.events.types import EventStoreBackend


@encrypted_event(key_alias="crm/pii", subject="member_id")
class MemberJoinedClub(DomainEvent):
    member_id: str
    email: str


def club(database: Path) -> type[Module]:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(database)),
        encryption=EncryptionConfig(enabled=True),
    )

    @module(imports=[EventsModule.configure(config), EventsModule.scope()])
    class ClubModule(Module):
        pass

    return ClubModule


async def test_an_app_encrypts_pii_at_rest_and_forgets_a_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXIGRAM_KEY_CRM_PII", Fernet.generate_key().decode())
    database = tmp_path / "club.db"
    async with Application.boot(name="club", modules=[club(database)]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        assert isinstance(store, SqliteEventStore)
        assert isinstance(store.event_serializer, EncryptedEventSerializer)
        await store.append("member-m1", [MemberJoinedClub(member_id="m1", email="ada@example.com")])
        await store.append("member-m2", [MemberJoinedClub(member_id="m2", email="bob@example.com")])
        (event,) = await store.read("member-m1")
        assert event.email == "ada@example.com"
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("club.db*"))
    assert b"ada@example.com" not in raw
    assert b"bob@example.com" not in raw
    assert b"m1" in raw  # the subject stays readable

    async with Application.boot(name="club", modules=[club(database)]) as app:  # the next process
        store = await app.container.resolve(EventStoreProtocol)
        assert isinstance(store, SqliteEventStore)
        assert await store.event_serializer.forget("m1") is True  # type: ignore[attr-defined]
        (ada,) = await store.read("member-m1")
        (bob,) = await store.read("member-m2")
        assert ada.email is REDACTED
        assert bob.email == "bob@example.com"


async def test_a_missing_master_key_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEXIGRAM_KEY_CRM_PII", raising=False)
    async with Application.boot(name="club", modules=[club(tmp_path / "club.db")]) as app:
        store = await app.container.resolve(EventStoreProtocol)
        with pytest.raises(Exception, match="crm/pii"):
            await store.append("member-m1", [MemberJoinedClub(member_id="m1", email="ada@example.com")])
        assert await store.read("member-m1") == []


def test_a_key_file_source_needs_a_path() -> None:
    with pytest.raises(ConfigurationError, match="key_file"):
        EncryptionConfig(enabled=True, key_source="file")


async def test_a_backend_that_cannot_encrypt_fails_the_boot() -> None:
    config = EventsConfig(
        event_store_backend=EventStoreBackend.REDIS,
        redis=RedisEventStoreConfig(url="redis://127.0.0.1:1/0"),
        encryption=EncryptionConfig(enabled=True),
    )
    with pytest.raises(ConfigurationError, match="does not encrypt"):
        async with Application.boot(name="club", modules=[EventsModule.configure(config)]):
            await asyncio.sleep(0)
