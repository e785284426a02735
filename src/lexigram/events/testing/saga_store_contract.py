"""``SagaStoreContract``: the conformance suite every saga store passes.

Subclass it and provide a ``saga_store`` fixture that gives each test a new, empty store::

    class TestMySagaStore(SagaStoreContract):
        @pytest.fixture
        async def saga_store(self):
            store = MySagaStore(...)
            yield store
            await store.close()
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lexigram.contracts.workflow.records import SagaRecord, SagaState, SagaStepRecord, SagaStepStatus
from lexigram.events.exceptions import SagaConcurrencyError, SagaNotFoundError, SagaValidationError

__all__ = ["SagaStoreContract"]


def _record(**fields: Any) -> SagaRecord:
    values: dict[str, Any] = {
        "saga_id": f"saga-{uuid.uuid4().hex[:10]}",
        "saga_type": "OrderFulfillment",
        "status": SagaState.STARTED,
        "data": {"order_id": "o-1", "lines": [1, 2], "total": 12.5, "paid": False, "note": None},
        "steps": (SagaStepRecord("reserve"), SagaStepRecord("charge")),
    }
    values.update(fields)
    return SagaRecord(**values)


class SagaStoreContract:
    """The saga-store conformance suite; subclass it and provide a ``saga_store`` fixture."""

    pytestmark = pytest.mark.asyncio

    # --- creating and reading ----------------------------------------------------------------------

    async def test_a_created_saga_reads_back_equal_at_version_1(self, saga_store: Any) -> None:
        record = _record(deadline=datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))
        created = await saga_store.create(record)
        assert created.version == 1
        loaded = await saga_store.get(record.saga_id)
        assert loaded == created
        assert loaded.data == record.data
        assert loaded.steps == record.steps
        assert loaded.deadline == record.deadline
        assert loaded.status is SagaState.STARTED
        assert isinstance(loaded.steps[0].status, SagaStepStatus)

    async def test_an_unknown_saga_is_none(self, saga_store: Any) -> None:
        assert await saga_store.get("nobody") is None
        assert await saga_store.find("OrderFulfillment", "nobody") is None

    async def test_times_come_back_in_utc_and_naive_times_are_taken_as_utc(self, saga_store: Any) -> None:
        plus_two = timezone(timedelta(hours=2))
        record = _record(
            created_at=datetime(2026, 5, 1, 12, 0, tzinfo=plus_two),
            updated_at=datetime(2026, 5, 1, 10, 30),
            lease_expires_at=datetime(2026, 5, 1, 10, 31, tzinfo=UTC),
        )
        await saga_store.create(record)
        loaded = await saga_store.get(record.saga_id)
        assert loaded.created_at == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.updated_at == datetime(2026, 5, 1, 10, 30, tzinfo=UTC)
        assert loaded.lease_expires_at == datetime(2026, 5, 1, 10, 31, tzinfo=UTC)

    async def test_every_field_survives_the_round_trip(self, saga_store: Any) -> None:
        record = _record(
            status=SagaState.COMPENSATING,
            data={"emoji": "café ☕", "nested": {"a": [1, {"b": None}]}, "big": 2**62},
            steps=(
                SagaStepRecord("reserve", SagaStepStatus.COMPENSATED, attempts=3, error="ValueError: x"),
                SagaStepRecord("charge", SagaStepStatus.FAILED, attempts=1, error="declined", event_id="e-1"),
            ),
            correlation_key="o-77",
            error="step 'charge' failed: declined",
            timed_out=True,
            owner="host-1-abc",
        )
        await saga_store.create(record)
        loaded = await saga_store.get(record.saga_id)
        assert loaded == record.evolve(version=1)

    async def test_returned_records_are_copies(self, saga_store: Any) -> None:
        record = _record()
        created = await saga_store.create(record)
        created.data["order_id"] = "changed"
        record.data["lines"].append(3)
        loaded = await saga_store.get(record.saga_id)
        assert loaded.data["order_id"] == "o-1"
        assert loaded.data["lines"] == [1, 2]

    async def test_creating_a_taken_id_is_a_conflict(self, saga_store: Any) -> None:
        record = _record()
        await saga_store.create(record)
        with pytest.raises(SagaConcurrencyError, match="exists already"):
            await saga_store.create(record.evolve(saga_type="Other"))
        assert (await saga_store.get(record.saga_id)).saga_type == "OrderFulfillment"

    # --- saving with the version check ---------------------------------------------------------

    async def test_a_save_at_the_current_version_moves_it_forward(self, saga_store: Any) -> None:
        created = await saga_store.create(_record())
        saved = await saga_store.save(created.evolve(status=SagaState.RUNNING, data={"x": 1}), 1)
        assert saved.version == 2
        again = await saga_store.save(saved.evolve(status=SagaState.COMPLETED), 2)
        assert again.version == 3
        loaded = await saga_store.get(created.saga_id)
        assert (loaded.version, loaded.status, loaded.data) == (3, SagaState.COMPLETED, {"x": 1})

    async def test_a_save_at_a_stale_version_is_refused_and_changes_nothing(self, saga_store: Any) -> None:
        created = await saga_store.create(_record())
        await saga_store.save(created.evolve(status=SagaState.RUNNING), 1)
        with pytest.raises(SagaConcurrencyError) as caught:
            await saga_store.save(created.evolve(status=SagaState.FAILED), 1)
        assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
        assert caught.value.saga_id == created.saga_id
        assert (await saga_store.get(created.saga_id)).status is SagaState.RUNNING

    async def test_of_concurrent_saves_of_one_version_exactly_one_wins(self, saga_store: Any) -> None:
        created = await saga_store.create(_record())
        attempts = [saga_store.save(created.evolve(data={"writer": n}), 1) for n in range(8)]
        outcomes = await asyncio.gather(*attempts, return_exceptions=True)
        winners = [o for o in outcomes if isinstance(o, SagaRecord)]
        assert len(winners) == 1
        assert all(isinstance(o, SagaConcurrencyError) for o in outcomes if o not in winners)
        loaded = await saga_store.get(created.saga_id)
        assert loaded.version == 2
        assert loaded.data == winners[0].data

    async def test_saving_an_unknown_saga_says_so(self, saga_store: Any) -> None:
        with pytest.raises(SagaNotFoundError, match="create"):
            await saga_store.save(_record(), 1)

    async def test_the_type_and_correlation_key_cannot_change(self, saga_store: Any) -> None:
        created = await saga_store.create(_record(correlation_key="o-1"))
        with pytest.raises(SagaConcurrencyError, match="cannot change"):
            await saga_store.save(created.evolve(correlation_key="o-2"), 1)
        with pytest.raises(SagaConcurrencyError, match="cannot change"):
            await saga_store.save(created.evolve(saga_type="Other"), 1)

    # --- correlation and listing ---------------------------------------------------------------

    async def test_an_instance_is_found_by_type_and_correlation_key(self, saga_store: Any) -> None:
        shipping = await saga_store.create(_record(saga_type="Shipping", correlation_key="o-9"))
        billing = await saga_store.create(_record(saga_type="Billing", correlation_key="o-9"))
        assert (await saga_store.find("Shipping", "o-9")).saga_id == shipping.saga_id
        assert (await saga_store.find("Billing", "o-9")).saga_id == billing.saga_id
        assert await saga_store.find("Shipping", "o-10") is None

    async def test_one_correlation_key_has_one_instance_per_saga_type(self, saga_store: Any) -> None:
        first = await saga_store.create(_record(saga_type="Shipping", correlation_key="o-9"))
        with pytest.raises(SagaConcurrencyError, match=first.saga_id):
            await saga_store.create(_record(saga_type="Shipping", correlation_key="o-9"))

    async def test_list_incomplete_returns_unfinished_sagas_oldest_first(self, saga_store: Any) -> None:
        base = datetime(2026, 1, 1, tzinfo=UTC)
        states = [
            SagaState.COMPLETED,
            SagaState.RUNNING,
            SagaState.COMPENSATED,
            SagaState.COMPENSATING,
            SagaState.FAILED,
            SagaState.STARTED,
            SagaState.TIMED_OUT,
        ]
        for minutes, state in enumerate(states):
            await saga_store.create(
                _record(saga_id=f"s-{minutes}", status=state, created_at=base + timedelta(minutes=-minutes))
            )
        incomplete = await saga_store.list_incomplete()
        assert [r.saga_id for r in incomplete] == ["s-5", "s-3", "s-1"]

    async def test_delete_forgets_the_instance_and_frees_its_key(self, saga_store: Any) -> None:
        created = await saga_store.create(_record(saga_type="Shipping", correlation_key="o-3"))
        assert await saga_store.delete(created.saga_id) is True
        assert await saga_store.delete(created.saga_id) is False
        assert await saga_store.get(created.saga_id) is None
        await saga_store.create(_record(saga_type="Shipping", correlation_key="o-3"))

    # --- bad input -----------------------------------------------------------------------------

    async def test_data_that_is_not_json_is_refused_before_anything_is_stored(self, saga_store: Any) -> None:
        record = _record(data={"when": datetime.now(UTC)})
        with pytest.raises(SagaValidationError, match="JSON"):
            await saga_store.create(record)
        assert await saga_store.get(record.saga_id) is None
        with pytest.raises(SagaValidationError, match="JSON"):
            await saga_store.create(_record(data={"x": float("nan")}))

    @pytest.mark.parametrize(
        "changes",
        [
            {"saga_id": ""},
            {"saga_id": 7},
            {"saga_type": ""},
            {"status": "sleeping"},
            {"data": ["not", "a", "dict"]},
            {"data": {1: "int key"}},
            {"steps": ("reserve",)},
            {"version": -1},
            {"correlation_key": ""},
            {"created_at": "yesterday"},
            {"timed_out": "no"},
        ],
    )
    async def test_a_bad_record_is_refused_with_a_message(
        self, saga_store: Any, changes: dict[str, Any]
    ) -> None:
        with pytest.raises(SagaValidationError):
            await saga_store.create(_record(**changes))

    async def test_bad_arguments_are_refused(self, saga_store: Any) -> None:
        with pytest.raises(SagaValidationError):
            await saga_store.create({"saga_id": "s"})
        created = await saga_store.create(_record())
        for version in (0, -1, True, "1"):
            with pytest.raises(SagaValidationError):
                await saga_store.save(created, version)
        with pytest.raises(SagaValidationError):
            await saga_store.get("")
        with pytest.raises(SagaValidationError):
            await saga_store.find("Shipping", None)
        with pytest.raises(SagaValidationError):
            await saga_store.delete(None)
