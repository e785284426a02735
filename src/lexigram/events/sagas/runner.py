"""``SagaRun``: drives one claimed orchestrated saga instance to a final state.

Every transition is saved before the next thing happens, with the version check of the store:

* the saga goes RUNNING; each step goes RUNNING (``attempts`` counted), then COMPLETED with the
  data it produced; a failed attempt is saved with its error before the retry's backoff;
* the step that finally fails goes FAILED in the same save that turns the saga COMPENSATING;
* each completed step, newest first, goes COMPENSATED (or COMPENSATION_FAILED with the error);
* the final state releases the claim.

While it runs, a heartbeat renews the claim (``lease_expires_at``) every third of ``claim_ttl``.
If a save finds the record changed, another manager took the saga over (this one's claim had
expired): the run stops at once with ``SagaConcurrencyError`` and does nothing more.

After a crash, a new run continues from the record: completed steps are never run again; a step
that was RUNNING is run again (so a step that may be cut off halfway should be idempotent); a
COMPENSATING saga goes on compensating the steps still COMPLETED.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from lexigram.contracts.messages.ids import utc_now
from lexigram.contracts.workflow.records import SagaRecord, SagaState, SagaStepRecord, SagaStepStatus
from lexigram.events.exceptions import SagaConcurrencyError, SagaStoreError, SagaValidationError
from lexigram.events.sagas.base import SagaBase
from lexigram.events.sagas.context import SagaContext
from lexigram.events.sagas.results import SagaStepResult
from lexigram.events.sagas.rows import encode_data
from lexigram.events.sagas.steps import StepDefinition

__all__ = ["SagaRun", "initial_record"]

logger = logging.getLogger("lexigram.events.sagas")


def initial_record(
    saga_cls: type[SagaBase], saga_id: str, data: dict[str, Any], owner: str, claim_ttl: float
) -> SagaRecord:
    """The record of a new instance: STARTED, every step PENDING, claimed by ``owner``."""
    now = utc_now()
    deadline = None if saga_cls.timeout is None else now + timedelta(seconds=saga_cls.timeout)
    return SagaRecord(
        saga_id=saga_id,
        saga_type=saga_cls.name,
        status=SagaState.STARTED,
        data=data,
        steps=tuple(SagaStepRecord(step.name) for step in saga_cls.saga_steps),
        owner=owner,
        lease_expires_at=now + timedelta(seconds=claim_ttl),
        deadline=deadline,
        created_at=now,
        updated_at=now,
    )


class _StepFailed(Exception):
    """A step attempt failed; ``final`` means it must not be retried."""

    def __init__(self, error: str, final: bool) -> None:
        super().__init__(error)
        self.error = error
        self.final = final


class SagaRun:
    """Drives one instance that ``owner`` has claimed; call ``drive()`` in a task of its own."""

    def __init__(
        self,
        store: Any,
        saga_cls: type[SagaBase],
        record: SagaRecord,
        services: Any,
        owner: str,
        claim_ttl: float,
        dispatcher: Callable[[Any], Awaitable[Any]] | None = None,
    ) -> None:
        self.store = store
        self.saga_cls = saga_cls
        self.record = record
        self.owner = owner
        self.claim_ttl = claim_ttl
        data = copy.deepcopy(record.data)
        self._ctx = SagaContext(record.saga_id, data, services, saga_cls.name, dispatcher=dispatcher)
        self._saga = saga_cls()
        self._lock = asyncio.Lock()
        self._lost: SagaConcurrencyError | None = None

    async def drive(self) -> SagaRecord:
        """Run the remaining steps (or compensations) and return the final record."""
        task = asyncio.current_task()
        heartbeat = asyncio.create_task(self._heartbeat(task), name=f"saga-heartbeat-{self.record.saga_id}")
        try:
            if self.record.status is not SagaState.COMPENSATING and await self._run_steps():
                return await self._finish(SagaState.COMPLETED, None)
            return await self._compensate()
        except asyncio.CancelledError:
            if self._lost is not None and task is not None:
                task.uncancel()
                raise self._lost from None
            raise
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    # --- steps ---------------------------------------------------------------------------------

    async def _run_steps(self) -> bool:
        """Run the steps not completed yet; False when one failed (the saga is COMPENSATING then)."""
        if self.record.status is not SagaState.RUNNING:
            await self._persist(status=SagaState.RUNNING)
        for definition in self.saga_cls.saga_steps:
            if self._step(definition.name).status is SagaStepStatus.COMPLETED:
                continue
            if not await self._run_step(definition):
                return False
        return True

    async def _run_step(self, definition: StepDefinition) -> bool:
        name = definition.name
        failures = 0
        while True:
            remaining = self._remaining()
            if remaining is not None and remaining <= 0:
                await self._fail(name, self._deadline_text(), timed_out=True)
                return False
            step = self._step(name)
            await self._persist(
                steps=self._with_step(name, status=SagaStepStatus.RUNNING, attempts=step.attempts + 1)
            )
            limit = _smallest(definition.timeout, remaining)
            deadline_bound = remaining is not None and (
                definition.timeout is None or remaining <= definition.timeout
            )
            before = copy.deepcopy(self._ctx.data)
            self._ctx.step = name
            try:
                async with asyncio.timeout(limit) as window:
                    result = await definition.run(self._saga, self._ctx)
                self._accept(result)
            except TimeoutError as exc:
                self._ctx.data = before
                if not window.expired():
                    error, final = f"TimeoutError: {exc}", False
                elif deadline_bound:
                    await self._fail(name, self._deadline_text(), timed_out=True)
                    return False
                else:
                    error, final = f"timed out after {definition.timeout:g} s", False
            except _StepFailed as failed:
                self._ctx.data = before
                error, final = failed.error, failed.final
            except Exception as exc:
                self._ctx.data = before
                error, final = f"{type(exc).__name__}: {exc}", False
            else:
                await self._persist(steps=self._with_step(name, status=SagaStepStatus.COMPLETED, error=None))
                return True
            failures += 1
            if final or failures > definition.retries:
                await self._fail(name, error, timed_out=False)
                return False
            logger.info("saga %s step %s failed (%s); retrying", self.record.saga_id, name, error)
            await self._persist(steps=self._with_step(name, error=error))
            await self._pause(definition.pause(failures))

    def _accept(self, result: Any) -> None:
        """Merge a successful result into the data; raise ``_StepFailed`` for anything else."""
        if isinstance(result, SagaStepResult):
            if result.failed:
                raise _StepFailed(result.error or "the step reported a failure", final=True)
            if result.data:
                self._ctx.data.update(result.data)
        elif result is not None:
            raise _StepFailed(
                f"the step returned {type(result).__name__}; return SagaStepResult.success(...), "
                "SagaStepResult.failure(...) or None",
                final=True,
            )
        try:
            encode_data(self._ctx.data)
        except SagaValidationError as exc:
            raise _StepFailed(str(exc), final=True) from exc

    async def _fail(self, name: str, error: str, *, timed_out: bool) -> None:
        await self._persist(
            steps=self._with_step(name, status=SagaStepStatus.FAILED, error=error),
            status=SagaState.COMPENSATING,
            error=f"step '{name}' failed: {error}",
            timed_out=timed_out,
        )

    # --- compensation --------------------------------------------------------------------------

    async def _compensate(self) -> SagaRecord:
        for definition in reversed(self.saga_cls.saga_steps):
            if self._step(definition.name).status is not SagaStepStatus.COMPLETED:
                continue
            self._ctx.step = definition.name
            error = await self._run_compensation(definition)
            if error is None:
                steps = self._with_step(definition.name, status=SagaStepStatus.COMPENSATED)
            else:
                steps = self._with_step(
                    definition.name, status=SagaStepStatus.COMPENSATION_FAILED, error=error
                )
            await self._persist(steps=steps)
        failed = [s for s in self.record.steps if s.status is SagaStepStatus.COMPENSATION_FAILED]
        if failed:
            listed = "; ".join(f"compensation of '{s.name}' failed: {s.error}" for s in failed)
            reason = f"{self.record.error}; {listed}" if self.record.error else listed
            return await self._finish(SagaState.FAILED, reason)
        final = SagaState.TIMED_OUT if self.record.timed_out else SagaState.COMPENSATED
        return await self._finish(final, self.record.error)

    async def _run_compensation(self, definition: StepDefinition) -> str | None:
        """Run a compensation with its step's retries and timeout; its last error, or None."""
        failures = 0
        while True:
            try:
                async with asyncio.timeout(definition.timeout) as window:
                    await definition.compensate(self._saga, self._ctx)
                return None
            except TimeoutError as exc:
                expired = window.expired()
                error = f"timed out after {definition.timeout:g} s" if expired else f"TimeoutError: {exc}"
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            failures += 1
            if failures > definition.retries:
                return error
            logger.info(
                "saga %s: compensating %s failed (%s); retrying", self.record.saga_id, definition.name, error
            )
            await asyncio.sleep(definition.pause(failures))

    # --- persistence and the claim -------------------------------------------------------------

    async def _persist(self, **changes: Any) -> SagaRecord:
        """Save the record with ``changes``, the current data and a renewed claim."""
        async with self._lock:
            now = utc_now()
            values: dict[str, Any] = {
                "data": self._ctx.data,
                "owner": self.owner,
                "lease_expires_at": now + timedelta(seconds=self.claim_ttl),
                "updated_at": now,
            }
            values.update(changes)
            self.record = await self.store.save(self.record.evolve(**values), self.record.version)
            return self.record

    async def _finish(self, status: SagaState, error: str | None) -> SagaRecord:
        return await self._persist(status=status, error=error, owner=None, lease_expires_at=None)

    async def _heartbeat(self, task: asyncio.Task[Any] | None) -> None:
        while True:
            await asyncio.sleep(self.claim_ttl / 3)
            try:
                async with self._lock:
                    now = utc_now()
                    renewed = self.record.evolve(
                        lease_expires_at=now + timedelta(seconds=self.claim_ttl), updated_at=now
                    )
                    self.record = await self.store.save(renewed, self.record.version)
            except SagaConcurrencyError as exc:
                self._lost = exc
                logger.warning("saga %s was taken over by another manager: %s", self.record.saga_id, exc)
                if task is not None:
                    task.cancel()
                return
            except SagaStoreError as exc:
                logger.warning("could not renew the claim on saga %s: %s", self.record.saga_id, exc)

    # --- helpers -------------------------------------------------------------------------------

    def _step(self, name: str) -> SagaStepRecord:
        for step in self.record.steps:
            if step.name == name:
                return step
        return SagaStepRecord(name)

    def _with_step(self, name: str, **changes: Any) -> tuple[SagaStepRecord, ...]:
        replacement = dataclasses.replace(self._step(name), **changes)
        steps = list(self.record.steps)
        for index, step in enumerate(steps):
            if step.name == name:
                steps[index] = replacement
                return tuple(steps)
        return (*steps, replacement)

    def _remaining(self) -> float | None:
        deadline: datetime | None = self.record.deadline
        return None if deadline is None else (deadline - utc_now()).total_seconds()

    def _deadline_text(self) -> str:
        deadline = self.record.deadline
        when = deadline.isoformat() if deadline is not None else "unknown"
        return f"the saga's deadline ({self.saga_cls.__name__}.timeout, at {when}) passed"

    async def _pause(self, seconds: float) -> None:
        remaining = self._remaining()
        await asyncio.sleep(seconds if remaining is None else max(0.0, min(seconds, remaining)))


def _smallest(first: float | None, second: float | None) -> float | None:
    if first is None:
        return None if second is None else max(second, 0.0)
    return first if second is None else max(min(first, second), 0.0)
