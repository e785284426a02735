"""``EventBusImpl``: publishes events to every subscribed handler, in the background.

::

    bus = EventBus()
    bus.subscribe(OrderShipped, notify_customer)
    await bus.publish(OrderShipped(order_id="o-1"))   # Ok(None) once queued
    await bus.flush()                                  # wait until it has been handled
    await bus.close()

Design, and how it keeps every promise at once:

* **Channels.** ``publish`` puts the event in the channel of its class (a bounded queue with its
  own drain task, started lazily in the running loop) and returns ``Ok(None)``. A full channel makes
  ``publish`` wait for room (backpressure, nothing is dropped); a publish from inside a handler or
  event middleware never waits, so follow-up events cannot deadlock.
* **One event at a time per channel.** The drain task runs the middleware chain once per event;
  the innermost step delivers the event to all of its handlers (see ``delivery``) and returns a
  ``DispatchResult``, which middleware may inspect. Events of different classes are delivered
  concurrently by their channels.
* **Per-handler order.** When an event is accepted, it takes a ticket with each of its handlers
  (see ``subscribers``); a handler serves its tickets strictly in order. So each handler receives
  events in publish order across all event classes, one at a time, even while channels run
  side by side. Tickets only ever wait on earlier events, so there is no deadlock.
* **Flush and close.** ``flush`` attaches a barrier to every unfinished event; follow-up events
  published by their handlers join the barrier, so ``flush`` returns once the accepted events and
  their follow-ups are fully processed (retries and dead-lettering included). ``close`` refuses new
  events (follow-ups of accepted events still get in), flushes, then ends every drain task.

Handlers are plans per event class, computed once and dropped when subscriptions change; the hot
path does a dict lookup, a ticket per handler, and a queue append.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Final, TypeVar

from lexigram.contracts.core.result import Err, Ok, Result
from lexigram.contracts.events.dead_letters import DeadLetterStoreProtocol
from lexigram.contracts.exceptions import EventError
from lexigram.events.buses.channel import Channel, Envelope, FlushBarrier, delivering
from lexigram.events.buses.dead_letters import InMemoryDeadLetterStore
from lexigram.events.buses.delivery import EventDispatcher, ParallelProtocol
from lexigram.events.buses.hooks import (
    EVENT_PUBLISHED,
    EventPublishedHook,
    HookRegistryProtocol,
    call_hook,
    check_hook_registry,
)
from lexigram.events.buses.pipeline import build_chain, check_middleware
from lexigram.events.buses.subscribers import Plan, Subscriptions
from lexigram.events.buses.tracing import TracerProtocol, check_tracer
from lexigram.events.config import EventBusConfig
from lexigram.events.constants import BUS_LOGGER
from lexigram.events.exceptions import EventBusClosedError, EventHandlerError
from lexigram.events.middleware.base import MiddlewareCallable, NextHandler

__all__ = ["EventBus", "EventBusImpl"]

logger = logging.getLogger(BUS_LOGGER)

H = TypeVar("H")
_OK: Final[Ok[None]] = Ok(None)
_DEFAULTS: Final = EventBusConfig()


class _State(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class EventBusImpl:
    """The in-process event bus: many handlers per event, delivered in the background.

    ``config`` (an ``EventBusConfig``) is read as events flow, so changing it affects later
    deliveries. ``parallel`` is an object whose ``gather(*awaitables)`` runs the handlers of one
    event concurrently (default: ``asyncio.gather``). ``tracer`` gets one span per event delivery;
    ``hooks`` gets ``event.published`` and ``event.handled`` actions. Failed deliveries land in
    ``dead_letter_store`` (an ``InMemoryDeadLetterStore`` unless another store is given).

    The ``DEFAULT_*`` constants repeat the defaults of ``EventBusConfig``, for reference.
    """

    DEFAULT_MAX_CONCURRENT_HANDLERS: ClassVar[int] = _DEFAULTS.max_concurrent_handlers
    DEFAULT_HANDLER_TIMEOUT_SECONDS: ClassVar[float] = _DEFAULTS.handler_timeout_seconds
    DEFAULT_RETRY_FAILED_HANDLERS: ClassVar[bool] = _DEFAULTS.retry_failed_handlers
    DEFAULT_MAX_HANDLER_RETRIES: ClassVar[int] = _DEFAULTS.max_handler_retries
    DEFAULT_ENABLE_DEAD_LETTER: ClassVar[bool] = _DEFAULTS.enable_dead_letter
    DEFAULT_ALLOW_NO_HANDLERS: ClassVar[bool] = _DEFAULTS.allow_no_handlers
    DEFAULT_PARALLEL_DISPATCH: ClassVar[bool] = _DEFAULTS.parallel_dispatch
    DEFAULT_CONTINUE_ON_ERROR: ClassVar[bool] = _DEFAULTS.continue_on_error

    def __init__(
        self,
        middlewares: Iterable[MiddlewareCallable] | None = None,
        config: EventBusConfig | None = None,
        parallel: ParallelProtocol | None = None,
        tracer: TracerProtocol | None = None,
        hooks: HookRegistryProtocol | None = None,
        dead_letter_store: DeadLetterStoreProtocol | None = None,
    ) -> None:
        self.config = config if config is not None else EventBusConfig()
        self._middlewares: list[MiddlewareCallable] = [check_middleware(m) for m in middlewares or ()]
        self._subscriptions = Subscriptions()
        self._dispatcher = EventDispatcher(
            self.config,
            dead_letter_store if dead_letter_store is not None else InMemoryDeadLetterStore(),
            parallel,
            check_hook_registry(hooks),
        )
        self._tracer = check_tracer(tracer)
        self._chain: NextHandler = build_chain(self._middlewares, self._dispatcher.deliver_current)
        self._channels: dict[type, Channel] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state = _State.OPEN
        self._closed: asyncio.Event | None = None

    # --- subscriptions -------------------------------------------------------------------------

    def subscribe(self, event_type: type, handler: Any) -> None:
        """Subscribe ``handler`` to ``event_type`` and its subclasses; again is a no-op.

        The handler's priority comes from its ``@event_handler(..., priority=N)`` metadata.
        """
        self._subscriptions.add(event_type, handler)

    def subscribe_all(self, handler: Any) -> None:
        """Subscribe ``handler`` to every event (the same as ``subscribe(object, handler)``)."""
        self._subscriptions.add(object, handler)

    def unsubscribe(self, event_type: type, handler: Any) -> bool:
        """Unsubscribe ``handler`` from ``event_type``; True when it was subscribed to it.

        It takes effect at once: events already accepted but not yet delivered to the handler
        are not delivered to it any more (unless another of its subscriptions matches them).
        """
        return self._subscriptions.remove(event_type, handler)

    def handler(self, event_type: type) -> Callable[[H], H]:
        """Decorator subscribing a handler to ``event_type``; returns the handler unchanged."""

        def subscribe_handler(handler: H) -> H:
            self.subscribe(event_type, handler)
            return handler

        return subscribe_handler

    def has_handlers(self, event_type: type) -> bool:
        """True when some handler would receive an event of ``event_type``."""
        return bool(self._subscriptions.plan_for(event_type).subscribers)

    # --- middleware, observers ----------------------------------------------------------------

    @property
    def middlewares(self) -> tuple[MiddlewareCallable, ...]:
        """The middleware in pipeline order (the first is the outermost)."""
        return tuple(self._middlewares)

    def use(self, middleware: MiddlewareCallable) -> EventBusImpl:
        """Append a middleware (it runs inside those added before it) and return the bus."""
        self._middlewares.append(check_middleware(middleware))
        self._chain = build_chain(self._middlewares, self._dispatcher.deliver_current)
        return self

    @property
    def dead_letter_store(self) -> DeadLetterStoreProtocol:
        """Where failed deliveries are recorded."""
        return self._dispatcher.dead_letter_store

    @dead_letter_store.setter
    def dead_letter_store(self, store: DeadLetterStoreProtocol) -> None:
        """Record failed deliveries in ``store`` from now on."""
        self._dispatcher.dead_letter_store = store

    def set_tracer(self, tracer: TracerProtocol | None) -> None:
        """Attach a tracer (one span per event delivery), or clear it with None."""
        self._tracer = check_tracer(tracer)

    def set_hook_registry(self, hooks: HookRegistryProtocol | None) -> None:
        """Attach a hook registry (``event.published``, ``event.handled``), or clear it with None."""
        self._dispatcher.hooks = check_hook_registry(hooks)

    # --- publishing ---------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._state is not _State.OPEN

    async def publish(self, event: Any) -> Result[None, EventError]:
        """Accept ``event`` for delivery to its handlers.

        Returns ``Ok(None)`` once the event is queued (handler failures never change this),
        ``Err(EventHandlerError)`` when no handler matches and ``allow_no_handlers`` is False, and
        ``Err(EventBusClosedError)`` after ``close()``. Waits while the event's channel is full,
        unless called from inside a handler.
        """
        event_type = type(event)
        plan = self._subscriptions.plans.get(event_type) or self._plan_for_new_type(event)
        parent = delivering.get()
        if self._state is not _State.OPEN and not self._accepts_follow_up(parent):
            return Err(EventBusClosedError(event_type.__name__))
        if not plan.subscribers and not self.config.allow_no_handlers:
            return Err(
                EventHandlerError(
                    f"no handler is subscribed to {event_type.__name__} and the bus does not allow "
                    "events without handlers (allow_no_handlers=False)",
                    details={"event_type": event_type.__name__},
                )
            )
        channel = self._channels.get(event_type)
        if channel is None or channel.task is None or channel.task.done():
            channel = self._start_channel(event_type)
        capacity = self.config.max_queue_per_subscriber
        if capacity and parent is None and channel.is_full(capacity):
            await channel.wait_for_room(capacity)
            if self._state is not _State.OPEN:
                return Err(EventBusClosedError(event_type.__name__))
            plan = self._subscriptions.plan_for(event_type)
        envelope = Envelope(self, event, plan)
        if parent is not None and parent.barriers and parent.bus is self:
            envelope.inherit_barriers(parent)
        channel.push(envelope)
        hooks = self._dispatcher.hooks
        if hooks is not None:
            payload = EventPublishedHook(plan.event_name, getattr(event, "aggregate_id", None))
            await call_hook(hooks, EVENT_PUBLISHED, payload)
        return _OK

    def _plan_for_new_type(self, event: Any) -> Plan:
        if inspect.isclass(event):
            raise TypeError(f"publish() expects an event instance, got the class {event.__qualname__}")
        return self._subscriptions.plan_for(type(event))

    def _accepts_follow_up(self, parent: Envelope | None) -> bool:
        """While closing, events published by this bus's own handlers are still accepted."""
        return self._state is _State.CLOSING and parent is not None and parent.bus is self

    # --- delivery -----------------------------------------------------------------------------

    async def _deliver(self, envelope: Envelope) -> None:
        """Deliver one envelope: tracing span, middleware chain, handlers."""
        token = delivering.set(envelope)
        try:
            tracer = self._tracer
            if tracer is None:
                await self._chain(envelope.event)
            else:
                attributes = {
                    "event.type": envelope.plan.event_name,
                    "event.id": str(getattr(envelope.event, "event_id", "")),
                }
                with tracer.start_span(f"deliver {type(envelope.event).__name__}", attributes=attributes):
                    await self._chain(envelope.event)
        except Exception:  # the middleware/tracer boundary: log, and go on with the next event
            logger.exception(
                "delivering %s failed outside its handlers (middleware or tracer); "
                "handlers not reached were skipped",
                envelope.plan.event_name,
            )
        finally:
            delivering.reset(token)
            envelope.finish()

    def _start_channel(self, event_type: type) -> Channel:
        loop = self._bind_loop()
        channel = self._channels.get(event_type)
        if channel is None:
            channel = self._channels[event_type] = Channel()
        channel.task = loop.create_task(
            channel.drain(self._deliver), name=f"lexigram-event-bus:{event_type.__qualname__}"
        )
        return channel

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        """The running loop; moving to a new loop drops what was left in the old one."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return loop
        if self._loop is not None:
            if self._loop.is_running():
                raise RuntimeError("this event bus is in use by another running event loop")
            stranded = sum(1 for channel in self._channels.values() for _ in channel.unfinished())
            if stranded:
                logger.warning("dropping %d event(s) left undelivered by a previous event loop", stranded)
            self._channels.clear()
            self._subscriptions.reset_turns()
            self._dispatcher.deadlines.reset()
        self._loop = loop
        return loop

    # --- flush and close ----------------------------------------------------------------------

    def _barrier(self, loop: asyncio.AbstractEventLoop) -> FlushBarrier | None:
        """A barrier over every unfinished event, or None when there is none.

        A channel whose drain task was cancelled from outside while it still held events gets a
        new task, so the barrier can complete.
        """
        for event_type, channel in list(self._channels.items()):
            if channel.queue and (channel.task is None or channel.task.done()):
                self._start_channel(event_type)
        barrier: FlushBarrier | None = None
        for channel in self._channels.values():
            for envelope in channel.unfinished():
                if barrier is None:
                    barrier = FlushBarrier(loop)
                envelope.add_barrier(barrier)
        return barrier

    def _refuse_inside_handler(self, operation: str) -> None:
        parent = delivering.get()
        if parent is not None and parent.bus is self:
            raise RuntimeError(
                f"{operation}() was awaited inside a handler of the same event bus; it would wait for itself"
            )

    async def flush(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 - the documented API
        """Wait until every event accepted so far is fully processed, follow-up events included.

        Raises ``TimeoutError`` when ``timeout`` seconds pass first.
        """
        self._refuse_inside_handler("flush")
        if self._loop is None:
            return
        barrier = self._barrier(self._bind_loop())
        if barrier is None:
            return
        async with asyncio.timeout(timeout):
            await barrier.future

    async def close(self) -> None:
        """Refuse new events, deliver every accepted one, and end the bus's tasks (idempotent).

        Cancelling ``close`` cancels the remaining deliveries.
        """
        if self._state is _State.CLOSED:
            return
        self._refuse_inside_handler("close")
        if self._closed is not None:  # another close() is under way
            await self._closed.wait()
            return
        self._state = _State.CLOSING
        self._closed = asyncio.Event()
        graceful = False
        try:
            for channel in self._channels.values():
                channel.refuse_publishers()
            if self._loop is not None:
                loop = self._bind_loop()
                while (barrier := self._barrier(loop)) is not None:
                    await barrier.future
            graceful = True
        finally:
            self._state = _State.CLOSED
            await self._stop_channels(graceful)
            self._dispatcher.deadlines.reset()
            self._closed.set()

    async def _stop_channels(self, graceful: bool) -> None:
        tasks = []
        for channel in self._channels.values():
            channel.stop()
            if channel.task is not None:
                if not graceful:
                    channel.task.cancel()
                tasks.append(channel.task)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


EventBus = EventBusImpl
"""The event bus; the same class as ``EventBusImpl``."""
