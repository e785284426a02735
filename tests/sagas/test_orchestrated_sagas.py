"""Orchestrated sagas: steps in order, data, retries, timeouts, compensation, and bad declarations."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest

from lexigram.events.exceptions import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaNotFoundError,
    SagaValidationError,
)
from lexigram.events.sagas import (
    InMemorySagaStore,
    SagaBase,
    SagaContext,
    SagaManager,
    SagaState,
    SagaStepResult,
    SagaStepStatus,
    saga_step,
)


class Journal:
    """What the steps and compensations did, in order."""

    def __init__(self) -> None:
        self.entries: list[str] = []

    def note(self, entry: str) -> None:
        self.entries.append(entry)


def statuses(record: Any) -> dict[str, SagaStepStatus]:
    return {step.name: step.status for step in record.steps}


async def undo_charge(ctx: SagaContext) -> None:
    ctx.services.journal.note("refund")


class Checkout(SagaBase):
    """Three steps whose names are not in alphabetical order."""

    @saga_step(compensation="release")
    async def reserve(self, ctx: SagaContext) -> SagaStepResult:
        ctx.services.journal.note("reserve")
        return SagaStepResult.success(data={"reservation": f"r-{ctx.data['order_id']}"})

    async def release(self, ctx: SagaContext) -> None:
        ctx.services.journal.note(f"release {ctx.data['reservation']}")

    @saga_step(compensation=undo_charge)
    async def charge(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("charge")
        if ctx.data.get("card") == "declined":
            raise RuntimeError("card declined")
        ctx.data["charged"] = True

    @saga_step
    async def confirm(self, ctx: SagaContext) -> SagaStepResult:
        ctx.services.journal.note("confirm")
        if ctx.data.get("confirm") == "refuse":
            return SagaStepResult.failure("the customer cancelled")
        return SagaStepResult.success()


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def manager(journal: Journal) -> SagaManager:
    return SagaManager(services={"journal": journal})


async def test_steps_run_in_declaration_order_and_their_data_is_kept(
    manager: SagaManager, journal: Journal
) -> None:
    saga_id = await manager.start(Checkout, data={"order_id": "o-1"})
    record = await manager.get(saga_id)
    assert record.status is SagaState.COMPLETED
    assert journal.entries == ["reserve", "charge", "confirm"]
    assert [step.name for step in record.steps] == ["reserve", "charge", "confirm"]
    assert all(step.status is SagaStepStatus.COMPLETED and step.error is None for step in record.steps)
    assert record.data == {"order_id": "o-1", "reservation": "r-o-1", "charged": True}
    assert record.owner is None  # the claim is released


async def test_a_failing_step_compensates_the_completed_ones_in_reverse_order(
    manager: SagaManager, journal: Journal
) -> None:
    saga_id = await manager.start(Checkout, data={"order_id": "o-2", "confirm": "refuse"})
    record = await manager.get(saga_id)
    assert record.status is SagaState.COMPENSATED
    assert journal.entries == ["reserve", "charge", "confirm", "refund", "release r-o-2"]
    assert statuses(record) == {
        "reserve": SagaStepStatus.COMPENSATED,
        "charge": SagaStepStatus.COMPENSATED,
        "confirm": SagaStepStatus.FAILED,
    }
    assert record.step("confirm").error == "the customer cancelled"
    assert "confirm" in (record.error or "")


async def test_a_raising_step_fails_and_the_steps_after_it_never_run(
    manager: SagaManager, journal: Journal
) -> None:
    saga_id = await manager.start(Checkout, data={"order_id": "o-3", "card": "declined"})
    record = await manager.get(saga_id)
    assert record.status is SagaState.COMPENSATED
    assert journal.entries == ["reserve", "charge", "release r-o-3"]
    assert statuses(record)["confirm"] is SagaStepStatus.PENDING
    assert record.step("charge").error == "RuntimeError: card declined"
    assert "charged" not in record.data  # a failed step's changes to the data are dropped


class Flaky:
    """Fails the first ``failures`` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.times: list[float] = []

    async def call(self) -> None:
        self.calls += 1
        self.times.append(time.monotonic())
        if self.calls <= self.failures:
            raise ConnectionError(f"attempt {self.calls} failed")


class Payment(SagaBase):
    @saga_step(retries=2, backoff=0.05)
    async def pay(self, ctx: SagaContext) -> None:
        await ctx.services.gateway.call()


async def test_a_step_is_retried_with_growing_pauses_until_it_succeeds() -> None:
    gateway = Flaky(failures=2)
    manager = SagaManager(services={"gateway": gateway})
    record = await manager.get(await manager.start(Payment))
    assert record.status is SagaState.COMPLETED
    assert gateway.calls == 3
    assert record.step("pay").attempts == 3
    first_pause = gateway.times[1] - gateway.times[0]
    second_pause = gateway.times[2] - gateway.times[1]
    assert first_pause >= 0.04  # backoff=0.05 ...
    assert second_pause >= 0.09  # ... doubled for the second retry


async def test_a_step_that_keeps_failing_fails_after_its_retries() -> None:
    gateway = Flaky(failures=10)
    manager = SagaManager(services={"gateway": gateway})
    record = await manager.get(await manager.start(Payment))
    assert record.status is SagaState.COMPENSATED
    assert gateway.calls == 3
    assert record.step("pay").attempts == 3
    assert record.step("pay").error == "ConnectionError: attempt 3 failed"


async def test_a_returned_failure_is_not_retried() -> None:
    calls: list[int] = []

    class Refusing(SagaBase):
        @saga_step(retries=5)
        async def ask(self, ctx: SagaContext) -> SagaStepResult:
            calls.append(1)
            return SagaStepResult.failure(ValueError("no stock"))

    manager = SagaManager()
    record = await manager.get(await manager.start(Refusing))
    assert calls == [1]
    assert record.step("ask").error == "ValueError: no stock"


class SlowShipping(SagaBase):
    @saga_step(compensation="cancel")
    async def book(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("book")

    async def cancel(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("cancel")

    @saga_step(retries=1, timeout=0.05, backoff=0)
    async def ship(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("ship")
        await asyncio.sleep(10)


async def test_a_step_that_times_out_is_retried_then_fails(journal: Journal) -> None:
    manager = SagaManager(services={"journal": journal})
    started = time.monotonic()
    record = await manager.get(await manager.start(SlowShipping))
    assert time.monotonic() - started < 2
    assert record.status is SagaState.COMPENSATED
    assert journal.entries == ["book", "ship", "ship", "cancel"]
    assert record.step("ship").error == "timed out after 0.05 s"
    assert record.step("ship").attempts == 2


class Deadline(SagaBase):
    timeout = 0.2

    @saga_step(compensation="unbook")
    async def book(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("book")

    async def unbook(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("unbook")

    @saga_step(retries=3)
    async def wait_for_courier(self, ctx: SagaContext) -> None:
        await asyncio.sleep(10)


async def test_a_saga_past_its_deadline_is_compensated_and_ends_timed_out(journal: Journal) -> None:
    manager = SagaManager(services={"journal": journal})
    started = time.monotonic()
    record = await manager.get(await manager.start(Deadline))
    assert 0.15 < time.monotonic() - started < 2
    assert record.status is SagaState.TIMED_OUT
    assert record.timed_out
    assert journal.entries == ["book", "unbook"]
    assert statuses(record) == {"book": SagaStepStatus.COMPENSATED, "wait_for_courier": SagaStepStatus.FAILED}
    assert "deadline" in (record.step("wait_for_courier").error or "")
    assert record.deadline is not None


class BrokenRefund(SagaBase):
    @saga_step(compensation="release")
    async def reserve(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("reserve")

    async def release(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("release")

    @saga_step(compensation="refund", retries=1, backoff=0)
    async def charge(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("charge")

    async def refund(self, ctx: SagaContext) -> None:
        ctx.services.journal.note("refund attempt")
        raise RuntimeError("the bank is down")

    @saga_step
    async def ship(self, ctx: SagaContext) -> SagaStepResult:
        return SagaStepResult.failure("no courier")


async def test_a_failing_compensation_ends_in_failed_never_compensated(journal: Journal) -> None:
    manager = SagaManager(services={"journal": journal})
    record = await manager.get(await manager.start(BrokenRefund))
    assert record.status is SagaState.FAILED
    assert journal.entries == ["reserve", "charge", "refund attempt", "refund attempt", "release"]
    assert statuses(record) == {
        "reserve": SagaStepStatus.COMPENSATED,
        "charge": SagaStepStatus.COMPENSATION_FAILED,
        "ship": SagaStepStatus.FAILED,
    }
    assert record.step("charge").error == "RuntimeError: the bank is down"
    assert "compensation of 'charge' failed: RuntimeError: the bank is down" in (record.error or "")
    assert "no courier" in (record.error or "")


async def test_every_step_transition_is_saved_before_the_next_step_runs() -> None:
    store = InMemorySagaStore()
    seen: list[tuple[str, dict[str, SagaStepStatus]]] = []

    class Observed(SagaBase):
        @saga_step
        async def first(self, ctx: SagaContext) -> SagaStepResult:
            record = await ctx.services.store.get(ctx.saga_id)
            seen.append((record.status, statuses(record)))
            return SagaStepResult.success(data={"first": 1})

        @saga_step
        async def second(self, ctx: SagaContext) -> None:
            record = await ctx.services.store.get(ctx.saga_id)
            seen.append((record.status, statuses(record)))
            assert record.data == {"first": 1}

    manager = SagaManager(store=store, services={"store": store})
    await manager.start(Observed)
    assert seen == [
        (SagaState.RUNNING, {"first": SagaStepStatus.RUNNING, "second": SagaStepStatus.PENDING}),
        (SagaState.RUNNING, {"first": SagaStepStatus.COMPLETED, "second": SagaStepStatus.RUNNING}),
    ]


async def test_compensations_may_take_saga_and_context_or_the_context_and_be_sync(journal: Journal) -> None:
    def sync_undo(saga: Any, ctx: SagaContext) -> None:
        ctx.services.journal.note(f"sync undo by {type(saga).__name__}")

    async def async_undo(ctx: SagaContext) -> None:
        ctx.services.journal.note("async undo")

    class Shapes(SagaBase):
        @saga_step(compensation=sync_undo)
        async def one(self, ctx: SagaContext) -> None:
            pass

        @saga_step(compensation=async_undo)
        async def two(self, ctx: SagaContext) -> None:
            pass

        @saga_step
        def three(self, ctx: SagaContext) -> SagaStepResult:  # a sync step works too
            return SagaStepResult.failure("stop")

    manager = SagaManager(services={"journal": journal})
    await manager.start(Shapes)
    assert journal.entries == ["async undo", "sync undo by Shapes"]


async def test_services_may_be_any_object_and_a_missing_one_is_named(journal: Journal) -> None:
    class UsesInventory(SagaBase):
        @saga_step
        async def reserve(self, ctx: SagaContext) -> None:
            ctx.services.inventory.reserve()

    manager = SagaManager(services={"journal": journal})
    record = await manager.get(await manager.start(UsesInventory))
    assert "no service named 'inventory'" in (record.step("reserve").error or "")
    reserved: list[int] = []
    objects = SagaManager(
        services=SimpleNamespace(inventory=SimpleNamespace(reserve=lambda: reserved.append(1)))
    )
    await objects.start(UsesInventory)
    assert reserved == [1]


async def test_a_step_that_leaves_data_which_is_not_json_fails() -> None:
    class Sloppy(SagaBase):
        @saga_step
        async def remember(self, ctx: SagaContext) -> None:
            ctx.data["when"] = object()

    manager = SagaManager()
    record = await manager.get(await manager.start(Sloppy, data={"keep": 1}))
    assert record.status is SagaState.COMPENSATED
    assert "JSON" in (record.step("remember").error or "")
    assert record.data == {"keep": 1}


async def test_a_saga_is_started_by_name_and_an_id_can_be_chosen_once(manager: SagaManager) -> None:
    manager.register(Checkout)
    saga_id = await manager.start("Checkout", data={"order_id": "o-9"}, saga_id="checkout-o-9")
    assert saga_id == "checkout-o-9"
    assert (await manager.get("checkout-o-9")).status is SagaState.COMPLETED
    with pytest.raises(SagaConcurrencyError, match="exists already"):
        await manager.start("Checkout", data={"order_id": "o-9"}, saga_id="checkout-o-9")


async def test_bad_calls_are_refused_with_what_to_do(manager: SagaManager) -> None:
    with pytest.raises(SagaNotFoundError, match="register"):
        await manager.start("Nope")
    with pytest.raises(SagaValidationError, match="SagaBase subclass"):
        await manager.start(object)  # type: ignore[arg-type]
    with pytest.raises(SagaValidationError, match="mapping"):
        await manager.start(Checkout, data=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(SagaValidationError, match="JSON"):
        await manager.start(Checkout, data={"when": object()})
    with pytest.raises(SagaNotFoundError, match="start"):
        await manager.get("missing")
    with pytest.raises(SagaValidationError):
        await manager.get("")


def test_wrong_declarations_fail_when_the_class_is_defined() -> None:
    with pytest.raises(SagaDefinitionError, match="retries"):
        saga_step(retries=-1)
    with pytest.raises(SagaDefinitionError, match="timeout"):
        saga_step(timeout=0)
    with pytest.raises(SagaDefinitionError, match="compensation"):
        saga_step(compensation=42)  # type: ignore[call-overload]
    with pytest.raises(SagaDefinitionError, match="not a method"):

        class MissingCompensation(SagaBase):
            @saga_step(compensation="undo")
            async def do(self, ctx: SagaContext) -> None:
                pass

    with pytest.raises(SagaDefinitionError, match="timeout"):

        class BadTimeout(SagaBase):
            timeout = -1


def test_a_saga_without_steps_or_with_a_taken_name_is_refused_at_registration() -> None:
    class Empty(SagaBase):
        pass

    class Other(SagaBase):
        name = "Checkout"

        @saga_step
        async def step(self, ctx: SagaContext) -> None:
            pass

    manager = SagaManager()
    with pytest.raises(SagaDefinitionError, match="no steps"):
        manager.register(Empty)
    manager.register(Checkout)
    manager.register(Checkout)  # the same class again is fine
    with pytest.raises(SagaDefinitionError, match="registered already"):
        manager.register(Other)


def test_the_manager_checks_what_it_is_given() -> None:
    from lexigram.contracts.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="saga store"):
        SagaManager(store=object())
    with pytest.raises(ConfigurationError, match="dispatch"):
        SagaManager(command_bus=object())
    with pytest.raises(ConfigurationError, match="claim_ttl"):
        SagaManager(claim_ttl=0)


def test_step_results_check_what_they_are_given() -> None:
    assert SagaStepResult.success().succeeded
    assert SagaStepResult.failure("no").failed
    with pytest.raises(SagaValidationError, match="mapping"):
        SagaStepResult.success(data=[1])  # type: ignore[arg-type]
    with pytest.raises(SagaValidationError, match="str keys"):
        SagaStepResult.success(data={1: "x"})  # type: ignore[dict-item]
    with pytest.raises(SagaValidationError, match="str or an exception"):
        SagaStepResult.failure(42)  # type: ignore[arg-type]
