"""``CheckpointStoreContract``: the conformance suite every checkpoint store passes.

Subclass it and provide a ``checkpoint_store`` fixture that gives each test a new, empty store::

    class TestMyCheckpointStore(CheckpointStoreContract):
        parameter_style = "numeric"   # the session's placeholders: "qmark" (?) or "numeric" ($1)

        @pytest.fixture
        async def checkpoint_store(self):
            store = MyCheckpointStore(...)
            yield store
            await store.close()

A store whose transactions lend a read-model session (``transaction.session`` is not None) is
also checked for atomicity with its read model: the suite creates a table of its own through the
session (and drops it at the end), so the session must allow ``CREATE TABLE`` and ``DROP TABLE``.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from lexigram.contracts.events.records import Checkpoint, ParkedEvent
from lexigram.contracts.exceptions import ValidationError
from lexigram.events.exceptions import CheckpointStoreError

__all__ = ["CheckpointStoreContract"]

LARGEST_POSITION = (1 << 63) - 1
"""The largest position a store must keep (a signed 64-bit column)."""


class _Failure(Exception):
    """Raised inside a transaction by the tests, to roll it back."""


def _parked(name: str = "totals", position: int = 7, **fields: Any) -> ParkedEvent:
    values: dict[str, Any] = {
        "stream_id": "order-1",
        "version": 3,
        "event_type": "OrderPlaced",
        "error": "ValueError: no such product",
    }
    values.update(fields)
    return ParkedEvent(projection_name=name, position=position, **values)


class CheckpointStoreContract:
    """The checkpoint-store conformance suite; subclass it and provide a ``checkpoint_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    parameter_style: ClassVar[str] = "qmark"
    """The read-model session's placeholders: ``"qmark"`` (``?``, SQLite) or ``"numeric"`` (``$1``)."""

    # --- helpers ---------------------------------------------------------------------------------

    def sql(self, statement: str) -> str:
        """``statement`` written with ``?`` placeholders, in the session's own style."""
        if self.parameter_style == "qmark":
            return statement
        numbers = itertools.count(1)
        return "".join(f"${next(numbers)}" if part == "?" else part for part in statement)

    async def read_model(self, store: Any) -> str | None:
        """Create an empty read-model table through a session; its name, or None without a session."""
        table = f"read_model_{uuid.uuid4().hex[:12]}"
        async with store.transaction() as transaction:
            if transaction.session is None:
                return None
            await transaction.session.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY, amount INTEGER)")
        return table

    async def drop(self, store: Any, table: str | None) -> None:
        """Drop a table made by ``read_model``."""
        if table is not None:
            async with store.transaction() as transaction:
                await transaction.session.execute(f"DROP TABLE {table}")

    async def rows(self, store: Any, table: str) -> list[tuple[Any, ...]]:
        """The read model's rows by id, read in a transaction of their own."""
        async with store.transaction() as transaction:
            rows: list[tuple[Any, ...]] = await transaction.session.fetch(
                f"SELECT id, amount FROM {table} ORDER BY id"
            )
        return [tuple(row) for row in rows]

    # --- checkpoints -----------------------------------------------------------------------------

    async def test_an_unknown_name_has_nothing(self, checkpoint_store: Any) -> None:
        assert await checkpoint_store.load("nobody") is None
        assert await checkpoint_store.list_checkpoints() == []
        assert await checkpoint_store.list_parked() == []
        assert await checkpoint_store.list_parked("nobody") == []
        assert await checkpoint_store.delete("nobody") is False
        assert await checkpoint_store.remove_parked("nobody", 1) is False

    async def test_every_field_of_a_checkpoint_comes_back(self, checkpoint_store: Any) -> None:
        summer = timezone(timedelta(hours=2))
        saved = Checkpoint(
            "order_totals",
            position=123_456,
            updated_at=datetime(2024, 7, 1, 12, 30, 45, 123_456, tzinfo=summer),
            state="running",
            error="ValueError: boom",
        )
        await checkpoint_store.save(saved)
        loaded = await checkpoint_store.load("order_totals")
        assert loaded == saved
        assert loaded is not saved
        assert loaded.updated_at.utcoffset() == timedelta(0)  # the same moment, in UTC
        assert loaded.updated_at == datetime(2024, 7, 1, 10, 30, 45, 123_456, tzinfo=UTC)

    async def test_state_and_error_may_be_none_and_a_naive_time_is_utc(self, checkpoint_store: Any) -> None:
        await checkpoint_store.save(Checkpoint("plain", 0, updated_at=datetime(2024, 1, 2, 3, 4, 5)))
        loaded = await checkpoint_store.load("plain")
        assert (loaded.position, loaded.state, loaded.error) == (0, None, None)
        assert loaded.updated_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    async def test_the_largest_position_is_kept(self, checkpoint_store: Any) -> None:
        await checkpoint_store.save(Checkpoint("far", LARGEST_POSITION))
        assert (await checkpoint_store.load("far")).position == LARGEST_POSITION

    async def test_saving_a_name_again_replaces_every_field(self, checkpoint_store: Any) -> None:
        await checkpoint_store.save(Checkpoint("totals", 50, state="faulted", error="boom"))
        await checkpoint_store.save(Checkpoint("totals", 20))  # positions may go back (a rebuild)
        loaded = await checkpoint_store.load("totals")
        assert (loaded.position, loaded.state, loaded.error) == (20, None, None)
        assert [c.projection_name for c in await checkpoint_store.list_checkpoints()] == ["totals"]

    async def test_checkpoints_are_listed_by_name(self, checkpoint_store: Any) -> None:
        names = ["b", "a", "B", "a_b", "a-b", "Zeta", "élan", "a b"]
        for position, name in enumerate(names):
            await checkpoint_store.save(Checkpoint(name, position))
        listed = await checkpoint_store.list_checkpoints()
        assert [c.projection_name for c in listed] == sorted(names)  # by code point, as Python sorts
        assert {c.projection_name: c.position for c in listed} == {n: p for p, n in enumerate(names)}

    async def test_delete_removes_the_checkpoint_and_its_parked_events(self, checkpoint_store: Any) -> None:
        await checkpoint_store.save(Checkpoint("a", 10))
        await checkpoint_store.save(Checkpoint("b", 20))
        for name, position in (("a", 1), ("a", 2), ("b", 1)):
            await checkpoint_store.park(_parked(name, position))
        assert await checkpoint_store.delete("a") is True
        assert await checkpoint_store.load("a") is None
        assert await checkpoint_store.list_parked("a") == []
        assert (await checkpoint_store.load("b")).position == 20
        assert [p.position for p in await checkpoint_store.list_parked("b")] == [1]
        assert await checkpoint_store.delete("a") is False

        await checkpoint_store.park(_parked("orphan", 5))  # parked events without a checkpoint
        assert await checkpoint_store.delete("orphan") is False
        assert await checkpoint_store.list_parked("orphan") == []

    async def test_the_store_keeps_its_own_copies(self, checkpoint_store: Any) -> None:
        saved = Checkpoint("totals", 5, state="running")
        await checkpoint_store.save(saved)
        saved.position = 99
        loaded = await checkpoint_store.load("totals")
        assert loaded.position == 5
        loaded.position = 77
        assert (await checkpoint_store.load("totals")).position == 5
        parked = _parked("totals", 3)
        await checkpoint_store.park(parked)
        parked.error = "changed"
        assert (await checkpoint_store.list_parked("totals"))[0].error == "ValueError: no such product"

    # --- parked events ---------------------------------------------------------------------------

    async def test_every_field_of_a_parked_event_comes_back(self, checkpoint_store: Any) -> None:
        held_back = _parked(
            "totals",
            position=LARGEST_POSITION,
            stream_id="order-7",
            version=12,
            event_type="ItemAdded",
            error="held back behind the parked event at position 40",
            attempts=0,
            parked_at=datetime(2024, 3, 4, 5, 6, 7, 890_123, tzinfo=UTC),
            blocked_by=40,
        )
        first = _parked("totals", position=40, attempts=4)
        await checkpoint_store.park(held_back)
        await checkpoint_store.park(first)
        assert await checkpoint_store.list_parked("totals") == [first, held_back]
        assert (await checkpoint_store.list_parked())[0].blocked_by is None

    async def test_parking_at_the_same_position_replaces_the_event(self, checkpoint_store: Any) -> None:
        await checkpoint_store.park(_parked("totals", 7, attempts=1, error="first"))
        await checkpoint_store.park(_parked("totals", 7, attempts=2, error="second", blocked_by=3))
        (parked,) = await checkpoint_store.list_parked("totals")
        assert (parked.attempts, parked.error, parked.blocked_by) == (2, "second", 3)

    async def test_parked_events_are_listed_by_projection_then_position(self, checkpoint_store: Any) -> None:
        placed = [("b", 10), ("a", 9), ("b", 2), ("a", 100), ("a", 11), ("c", 1)]
        for name, position in placed:
            await checkpoint_store.park(_parked(name, position))
        everything = await checkpoint_store.list_parked()
        assert [(p.projection_name, p.position) for p in everything] == sorted(placed)
        assert [p.position for p in await checkpoint_store.list_parked("a")] == [9, 11, 100]

    async def test_remove_parked_says_whether_the_event_was_there(self, checkpoint_store: Any) -> None:
        await checkpoint_store.park(_parked("totals", 7))
        await checkpoint_store.park(_parked("other", 7))
        assert await checkpoint_store.remove_parked("totals", 7) is True
        assert await checkpoint_store.remove_parked("totals", 7) is False
        assert await checkpoint_store.remove_parked("totals", 8) is False
        assert [p.projection_name for p in await checkpoint_store.list_parked()] == ["other"]

    # --- transactions ----------------------------------------------------------------------------

    async def test_a_committed_transaction_applies_everything_together(self, checkpoint_store: Any) -> None:
        table = await self.read_model(checkpoint_store)
        try:
            async with checkpoint_store.transaction() as transaction:
                session = transaction.session
                if session is not None:
                    insert = self.sql(f"INSERT INTO {table} (id, amount) VALUES (?, ?)")
                    await session.execute(insert, "o-1", 10)
                    await session.executemany(insert, ((f"o-{n}", n * 10) for n in (2, 3)))  # any iterable
                    await session.executemany(insert, [])
                    await session.execute(
                        self.sql(f"UPDATE {table} SET amount = amount + ? WHERE id = ?"), 5, "o-1"
                    )
                    fetched = await session.fetch(
                        self.sql(f"SELECT id, amount FROM {table} WHERE amount > ?"), 12
                    )
                    assert sorted(tuple(row) for row in fetched) == [("o-1", 15), ("o-2", 20), ("o-3", 30)]
                await transaction.park(_parked("totals", 2))
                await transaction.save(Checkpoint("totals", 3, state="running"))
                await transaction.save(Checkpoint("totals", 4, state="running"))  # the last save wins
            loaded = await checkpoint_store.load("totals")
            assert (loaded.position, loaded.state) == (4, "running")
            assert [p.position for p in await checkpoint_store.list_parked("totals")] == [2]
            if table is not None:
                assert await self.rows(checkpoint_store, table) == [("o-1", 15), ("o-2", 20), ("o-3", 30)]
        finally:
            await self.drop(checkpoint_store, table)

    async def test_a_transaction_that_raises_leaves_nothing_behind(self, checkpoint_store: Any) -> None:
        await checkpoint_store.save(Checkpoint("totals", 5, state="running"))
        table = await self.read_model(checkpoint_store)

        async def fail_half_way() -> None:
            async with checkpoint_store.transaction() as transaction:
                if transaction.session is not None:
                    insert = self.sql(f"INSERT INTO {table} (id, amount) VALUES (?, ?)")
                    await transaction.session.execute(insert, "o-1", 10)
                await transaction.save(Checkpoint("totals", 9, state="faulted"))
                await transaction.save(Checkpoint("other", 1))
                await transaction.park(_parked("totals", 6))
                raise _Failure("the projection failed half-way")

        try:
            with pytest.raises(_Failure):
                await fail_half_way()
            loaded = await checkpoint_store.load("totals")
            assert (loaded.position, loaded.state) == (5, "running")
            assert await checkpoint_store.load("other") is None
            assert await checkpoint_store.list_parked() == []
            if table is not None:
                assert await self.rows(checkpoint_store, table) == []
        finally:
            await self.drop(checkpoint_store, table)

    async def test_a_rejected_argument_leaves_the_transaction_usable(self, checkpoint_store: Any) -> None:
        async with checkpoint_store.transaction() as transaction:
            with pytest.raises(ValidationError):
                await transaction.save(Checkpoint("totals", -1))
            with pytest.raises(ValidationError):
                await transaction.park(_parked("totals", 1, stream_id=""))
            await transaction.save(Checkpoint("totals", 1))
        assert (await checkpoint_store.load("totals")).position == 1

    async def test_a_transaction_cannot_be_used_after_its_block(self, checkpoint_store: Any) -> None:
        async with checkpoint_store.transaction() as transaction:
            await transaction.save(Checkpoint("totals", 1))
        with pytest.raises(CheckpointStoreError, match="ended"):
            await transaction.save(Checkpoint("totals", 2))
        with pytest.raises(CheckpointStoreError, match="ended"):
            await transaction.park(_parked("totals", 2))
        if transaction.session is not None:
            with pytest.raises(CheckpointStoreError, match="ended"):
                await transaction.session.execute("SELECT 1")
        assert (await checkpoint_store.load("totals")).position == 1
        assert await checkpoint_store.list_parked() == []

    async def test_transactions_after_a_failed_one_work(self, checkpoint_store: Any) -> None:
        async def fail(position: int) -> None:
            async with checkpoint_store.transaction() as transaction:
                await transaction.save(Checkpoint("totals", position))
                raise _Failure

        for attempt in range(3):
            with pytest.raises(_Failure):
                await fail(100 + attempt)
            async with checkpoint_store.transaction() as transaction:
                await transaction.save(Checkpoint("totals", attempt))
        assert (await checkpoint_store.load("totals")).position == 2

    # --- concurrency -----------------------------------------------------------------------------

    async def test_concurrent_saves_of_different_names_all_land(self, checkpoint_store: Any) -> None:
        await asyncio.gather(
            *(checkpoint_store.save(Checkpoint(f"projection-{n:02}", n * 10)) for n in range(50))
        )
        listed = await checkpoint_store.list_checkpoints()
        assert [(c.projection_name, c.position) for c in listed] == [
            (f"projection-{n:02}", n * 10) for n in range(50)
        ]

    async def test_concurrent_transactions_all_commit(self, checkpoint_store: Any) -> None:
        table = await self.read_model(checkpoint_store)

        async def unit(n: int) -> None:
            async with checkpoint_store.transaction() as transaction:
                if transaction.session is not None:
                    insert = self.sql(f"INSERT INTO {table} (id, amount) VALUES (?, ?)")
                    await transaction.session.execute(insert, f"row-{n:02}", n)
                await asyncio.sleep(0)  # let the other tasks try to get in
                await transaction.park(_parked(f"projection-{n:02}", n))
                await transaction.save(Checkpoint(f"projection-{n:02}", n))

        try:
            await asyncio.gather(*(unit(n) for n in range(20)))
            assert [c.position for c in await checkpoint_store.list_checkpoints()] == list(range(20))
            assert [p.position for p in await checkpoint_store.list_parked()] == list(range(20))
            if table is not None:
                assert await self.rows(checkpoint_store, table) == [(f"row-{n:02}", n) for n in range(20)]
        finally:
            await self.drop(checkpoint_store, table)

    # --- bad input -------------------------------------------------------------------------------

    async def test_bad_checkpoints_are_rejected_with_what_is_wrong(self, checkpoint_store: Any) -> None:
        bad: list[tuple[Any, str]] = [
            ({"projection_name": "totals", "position": 1}, "Checkpoint"),
            (Checkpoint("", 1), "projection_name"),
            (Checkpoint("totals", -1), "position"),
            (Checkpoint("totals", LARGEST_POSITION + 1), "position"),
            (Checkpoint("totals", True), "position"),
            (Checkpoint("totals", 1.5), "position"),  # type: ignore[arg-type]
            (Checkpoint("totals", 1, updated_at="yesterday"), "updated_at"),  # type: ignore[arg-type]
            (Checkpoint("totals", 1, state=3), "state"),  # type: ignore[arg-type]
            (Checkpoint("totals", 1, error=b"boom"), "error"),  # type: ignore[arg-type]
            (Checkpoint(None, 1), "projection_name"),  # type: ignore[arg-type]
        ]
        for checkpoint, field in bad:
            with pytest.raises(ValidationError, match=field):
                await checkpoint_store.save(checkpoint)
        with pytest.raises(TypeError):
            await checkpoint_store.save(Checkpoint("totals", "7"))  # type: ignore[arg-type]
        assert await checkpoint_store.list_checkpoints() == []

    async def test_bad_parked_events_are_rejected_with_what_is_wrong(self, checkpoint_store: Any) -> None:
        bad: list[tuple[Any, str]] = [
            (Checkpoint("totals", 1), "ParkedEvent"),
            (_parked(""), "projection_name"),
            (_parked(position=-1), "position"),
            (_parked(stream_id=""), "stream_id"),
            (_parked(stream_id=7), "stream_id"),
            (_parked(version=-2), "version"),
            (_parked(event_type=""), "event_type"),
            (_parked(error=None), "error"),
            (_parked(attempts=-1), "attempts"),
            (_parked(blocked_by=-5), "blocked_by"),
            (_parked(parked_at=0), "parked_at"),
        ]
        for parked, field in bad:
            with pytest.raises(ValidationError, match=field):
                await checkpoint_store.park(parked)
        assert await checkpoint_store.list_parked() == []

    async def test_bad_names_and_positions_are_rejected(self, checkpoint_store: Any) -> None:
        calls: list[Any] = [
            lambda: checkpoint_store.load(""),
            lambda: checkpoint_store.load(None),
            lambda: checkpoint_store.delete(""),
            lambda: checkpoint_store.delete(42),
            lambda: checkpoint_store.list_parked(""),
            lambda: checkpoint_store.remove_parked("", 1),
            lambda: checkpoint_store.remove_parked("totals", -1),
            lambda: checkpoint_store.remove_parked("totals", "1"),
        ]
        for call in calls:
            with pytest.raises(ValidationError):
                await call()
