"""``SubjectKeyStoreContract``: the conformance suite every subject-key store passes.

Subclass it and provide a ``subject_key_store`` fixture that gives each test a new, empty store::

    class TestMySubjectKeyStore(SubjectKeyStoreContract):
        @pytest.fixture
        async def subject_key_store(self):
            store = MySubjectKeyStore(...)
            yield store
            await store.close()
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lexigram.contracts.exceptions import ValidationError

__all__ = ["SubjectKeyStoreContract"]

ALIAS = "events/pii-key"


class SubjectKeyStoreContract:
    """The subject-key-store conformance suite; subclass it and provide a ``subject_key_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    async def test_a_subject_without_a_key_has_no_record(self, subject_key_store: Any) -> None:
        assert await subject_key_store.get(ALIAS, "c1") is None
        assert await subject_key_store.list_keys() == []

    async def test_a_created_key_reads_back_unchanged(self, subject_key_store: Any) -> None:
        wrapped = b"kid." + os.urandom(64) + b"\x00\xff"
        before = datetime.now(UTC) - timedelta(seconds=5)
        created = await subject_key_store.create(ALIAS, "c1", wrapped)
        fetched = await subject_key_store.get(ALIAS, "c1")
        assert created == fetched
        assert fetched.wrapped_key == wrapped
        assert (fetched.alias, fetched.subject, fetched.forgotten, fetched.forgotten_at) == (
            ALIAS,
            "c1",
            False,
            None,
        )
        assert fetched.created_at.tzinfo is not None
        assert fetched.created_at >= before

    async def test_the_first_key_of_a_subject_wins(self, subject_key_store: Any) -> None:
        first = await subject_key_store.create(ALIAS, "c1", b"first")
        second = await subject_key_store.create(ALIAS, "c1", b"second")
        assert second.wrapped_key == first.wrapped_key == b"first"

    async def test_racing_writers_all_get_the_same_key(self, subject_key_store: Any) -> None:
        results = await asyncio.gather(
            *(subject_key_store.create(ALIAS, "c-race", f"key-{n}".encode()) for n in range(8))
        )
        assert len({record.wrapped_key for record in results}) == 1
        assert (await subject_key_store.get(ALIAS, "c-race")).wrapped_key == results[0].wrapped_key

    async def test_forgetting_destroys_the_key_and_keeps_a_tombstone(self, subject_key_store: Any) -> None:
        await subject_key_store.create(ALIAS, "c1", b"secret-wrapped-key")
        assert await subject_key_store.forget(ALIAS, "c1") is True
        record = await subject_key_store.get(ALIAS, "c1")
        assert record.forgotten
        assert record.wrapped_key is None
        assert record.forgotten_at is not None
        assert await subject_key_store.forget(ALIAS, "c1") is False

    async def test_a_forgotten_subject_never_gets_a_key_again(self, subject_key_store: Any) -> None:
        await subject_key_store.create(ALIAS, "c1", b"old")
        await subject_key_store.forget(ALIAS, "c1")
        again = await subject_key_store.create(ALIAS, "c1", b"new")
        assert again.forgotten
        assert again.wrapped_key is None

    async def test_forgetting_an_unknown_subject_leaves_a_tombstone(self, subject_key_store: Any) -> None:
        assert await subject_key_store.forget(ALIAS, "never-seen") is False
        record = await subject_key_store.get(ALIAS, "never-seen")
        assert record is not None
        assert record.forgotten
        assert (await subject_key_store.create(ALIAS, "never-seen", b"k")).forgotten

    async def test_keys_are_kept_per_alias(self, subject_key_store: Any) -> None:
        await subject_key_store.create(ALIAS, "c1", b"pii")
        await subject_key_store.create("events/health", "c1", b"health")
        await subject_key_store.forget("events/health", "c1")
        assert (await subject_key_store.get(ALIAS, "c1")).wrapped_key == b"pii"
        assert (await subject_key_store.get("events/health", "c1")).forgotten

    async def test_listing_keys_by_alias_and_subject(self, subject_key_store: Any) -> None:
        for subject in ("c2", "c1", "ünïcode-☃"):
            await subject_key_store.create(ALIAS, subject, subject.encode())
        await subject_key_store.create("a-first", "z", b"z")
        await subject_key_store.forget(ALIAS, "c2")
        listed = await subject_key_store.list_keys(ALIAS)
        assert [record.subject for record in listed] == sorted(["c1", "c2", "ünïcode-☃"])
        assert [record.forgotten for record in listed] == [False, True, False]
        everything = await subject_key_store.list_keys()
        assert next((r.alias, r.subject) for r in everything) == ("a-first", "z")
        assert len(everything) == 4

    @pytest.mark.parametrize(
        ("alias", "subject", "wrapped"),
        [("", "c1", b"k"), (ALIAS, "", b"k"), (ALIAS, None, b"k"), (ALIAS, "c1", "text"), (ALIAS, "c1", b"")],
    )
    async def test_bad_input_is_refused_before_any_work(
        self, subject_key_store: Any, alias: Any, subject: Any, wrapped: Any
    ) -> None:
        with pytest.raises(ValidationError):
            await subject_key_store.create(alias, subject, wrapped)
        assert await subject_key_store.list_keys() == []
