"""Delivering one event to the subscribers in its plan.

Sequential dispatch calls the subscribers one after another in plan order (priority, then
subscription order); with ``continue_on_error=False`` the first failure skips the rest. Parallel
dispatch runs them concurrently through ``parallel.gather`` (``asyncio.gather`` by default), at
most ``max_concurrent_handlers`` at once. Either way each subscriber first waits for its turn (see
``subscribers``), so it never handles two events at once nor out of publish order.

A handler *fails* when it raises, returns an ``Err``, or runs past ``handler_timeout_seconds``
(it is then cancelled; a sync handler cannot be interrupted, so the limit applies to async
handlers and to awaitables a sync handler returns). With ``retry_failed_handlers`` it gets up to
``max_handler_retries`` more attempts, pausing ``retry_backoff_seconds`` and doubling up to
``retry_backoff_max_seconds``. A failure that remains is logged on ``lexigram.events.bus`` and,
with ``enable_dead_letter``, recorded in the dead-letter store. It never propagates: the other
handlers and events go on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from lexigram.contracts.core.result import Err
from lexigram.contracts.events.dead_letters import DeadLetterEntry, DeadLetterStoreProtocol
from lexigram.events.buses.channel import Envelope, delivering
from lexigram.events.buses.deadlines import HandlerDeadlines
from lexigram.events.buses.hooks import EVENT_HANDLED, EventHandledHook, HookRegistryProtocol, call_hook
from lexigram.events.buses.subscribers import Subscriber
from lexigram.events.config import EventBusConfig
from lexigram.events.constants import BUS_LOGGER
from lexigram.events.exceptions import EventHandlerError
from lexigram.events.types import DispatchResult

__all__ = ["EventDispatcher", "ParallelProtocol", "describe_failure"]

logger = logging.getLogger(BUS_LOGGER)


class ParallelProtocol(Protocol):
    """Runs the handlers of one event concurrently: ``await parallel.gather(*awaitables)``.

    It must await every awaitable it is given; the bus's awaitables never raise except on
    cancellation. The default is ``asyncio.gather``.
    """

    def gather(self, *awaitables: Awaitable[Any]) -> Awaitable[Any]:
        """Await all ``awaitables`` concurrently."""
        ...


def describe_failure(failure: object) -> str:
    """A one-line description of an exception or of an ``Err`` payload."""
    if isinstance(failure, BaseException):
        text = str(failure)
        return f"{type(failure).__name__}: {text}" if text else type(failure).__name__
    return f"returned Err({failure!r})"


class EventDispatcher:
    """Delivers envelopes to their subscribers under an ``EventBusConfig``."""

    def __init__(
        self,
        config: EventBusConfig,
        dead_letter_store: DeadLetterStoreProtocol,
        parallel: ParallelProtocol | None = None,
        hooks: HookRegistryProtocol | None = None,
    ) -> None:
        if parallel is not None and not callable(getattr(parallel, "gather", None)):
            raise TypeError(f"parallel needs a gather(*awaitables) method; got {parallel!r}")
        self.config = config
        self.dead_letter_store = dead_letter_store
        self.hooks = hooks
        self.deadlines = HandlerDeadlines()
        self._gather = parallel.gather if parallel is not None else asyncio.gather

    async def deliver_current(self, event: Any) -> DispatchResult:
        """Deliver ``event`` for the envelope being delivered in this context.

        ``event`` is the envelope's event, or the replacement a middleware passed on.
        """
        envelope = delivering.get()
        if envelope is None:
            raise RuntimeError("an event bus's next_handler was called outside its delivery")
        outcome = DispatchResult()
        subscribers = envelope.plan.subscribers
        count = len(subscribers)
        if count > 1 and self.config.parallel_dispatch:
            limit = self.config.max_concurrent_handlers
            slots = asyncio.Semaphore(limit) if count > limit else None
            await self._gather(*(self._deliver_one(envelope, i, event, outcome, slots) for i in range(count)))
            return outcome
        event_type = type(envelope.event)
        skipping = False
        for index, subscriber in enumerate(subscribers):
            if skipping:
                envelope.finish_ticket(index)
                continue
            ticket = envelope.tickets[index]
            try:
                if ticket >= 0 and subscriber.served != ticket:
                    await subscriber.wait_turn(ticket)
                if subscriber.wants(event_type):
                    succeeded = await self._run(subscriber, envelope, event, outcome)
                    skipping = not succeeded and not self.config.continue_on_error
            finally:
                envelope.finish_ticket(index)
        return outcome

    async def _deliver_one(
        self,
        envelope: Envelope,
        index: int,
        event: Any,
        outcome: DispatchResult,
        slots: asyncio.Semaphore | None,
    ) -> None:
        subscriber = envelope.plan.subscribers[index]
        ticket = envelope.tickets[index]
        try:
            if ticket >= 0 and subscriber.served != ticket:
                await subscriber.wait_turn(ticket)
            if not subscriber.wants(type(envelope.event)):
                return
            if slots is None:
                await self._run(subscriber, envelope, event, outcome)
            else:
                async with slots:
                    await self._run(subscriber, envelope, event, outcome)
        finally:
            envelope.finish_ticket(index)

    async def _run(
        self, subscriber: Subscriber, envelope: Envelope, event: Any, outcome: DispatchResult
    ) -> bool:
        """Call one handler, with retries; True when it eventually succeeded."""
        config = self.config
        attempts = 0
        delay = config.retry_backoff_seconds
        while True:
            attempts += 1
            failure: object
            try:
                value = subscriber.call(event)
                if subscriber.is_async or inspect.isawaitable(value):
                    value = await self._within_deadline(value, config.handler_timeout_seconds)
            except Exception as exc:  # the handler boundary: any failure is recorded, never raised
                failure = exc
            else:
                if not isinstance(value, Err):
                    outcome.handler_results.append(value)
                    if self.hooks is not None:
                        payload = EventHandledHook(envelope.plan.event_name, subscriber.name)
                        await call_hook(self.hooks, EVENT_HANDLED, payload)
                    return True
                failure = value.error
            if not config.retry_failed_handlers or attempts > config.max_handler_retries:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, config.retry_backoff_max_seconds)
        await self._give_up(subscriber, envelope, failure, attempts, outcome)
        return False

    async def _within_deadline(self, awaitable: Awaitable[Any], seconds: float) -> Any:
        """Await a handler's result; past ``seconds`` it is cancelled and ``TimeoutError`` raised."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("event handlers must run inside an asyncio task")
        self.deadlines.start(task, task.get_loop(), seconds)
        try:
            result = await awaitable
        except BaseException as exc:
            expired = self.deadlines.stop(task)
            if expired and task.uncancel() == 0 and isinstance(exc, asyncio.CancelledError):
                raise TimeoutError(f"timed out after {seconds:g}s") from None
            raise
        if self.deadlines.stop(task):  # the handler swallowed the cancellation and finished
            task.uncancel()
        return result

    async def _give_up(
        self,
        subscriber: Subscriber,
        envelope: Envelope,
        failure: object,
        attempts: int,
        outcome: DispatchResult,
    ) -> None:
        error = (
            failure
            if isinstance(failure, BaseException)
            else EventHandlerError(f"{subscriber.name} {describe_failure(failure)}")
        )
        outcome.success = False
        outcome.errors.append((type(error), error))
        event_type = type(envelope.event).__name__
        text = describe_failure(failure)
        logger.error(
            "event handler %s failed on %s after %d attempt(s): %s",
            subscriber.name,
            event_type,
            attempts,
            text,
            exc_info=error if error.__traceback__ is not None else None,
        )
        if not self.config.enable_dead_letter:
            return
        entry = DeadLetterEntry(
            event=envelope.event,
            event_type=event_type,
            handler_name=subscriber.name,
            error=text,
            attempts=attempts,
        )
        try:
            await self.dead_letter_store.add(entry)
        except Exception:  # the dead-letter store boundary: a broken store must not stop delivery
            logger.exception("could not record the dead letter of %s for %s", event_type, subscriber.name)
