"""``EventDrivenSaga``: a process manager whose instances live per correlation key in the saga store.

Example::

    class ShippingSaga(EventDrivenSaga):
        correlate_by = "order_id"  # the event attribute that names the instance

        @saga_handler(OrderPlaced, starts=True)
        async def placed(self, event: OrderPlaced, ctx: SagaContext) -> list[Command]:
            ctx.data["items"] = event.items
            return [ReserveStock(order_id=event.order_id)]

        @saga_handler(PaymentReceived)
        async def paid(self, event: PaymentReceived, ctx: SagaContext) -> Command:
            ctx.complete()
            return ShipOrder(order_id=event.order_id)

``SagaManager.register(ShippingSaga)`` and ``await manager.process(event)`` route each event to
the instance whose correlation key the event carries: an event of a ``starts=True`` handler
creates the instance when there is none; other events for an unknown key are ignored, and so is
every event once the instance is final. The instance's ``ctx.data`` is saved (version-checked)
after each handler, then the commands it returned are dispatched on the command bus.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from lexigram.events.exceptions import SagaDefinitionError
from lexigram.events.sagas.context import SagaContext

__all__ = ["HANDLER_ATTRIBUTE", "EventDrivenSaga", "SagaHandler", "saga_handler"]

F = TypeVar("F", bound=Callable[..., Any])

HANDLER_ATTRIBUTE = "__saga_handler__"
"""The attribute ``@saga_handler`` sets on the method it decorates."""


@dataclass(frozen=True, slots=True)
class SagaHandler:
    """A declared event handler of an event-driven saga."""

    name: str
    function: Callable[..., Any]
    event_types: tuple[type, ...]
    starts: bool

    def accepts(self, event: Any) -> bool:
        """True when the event is an instance of one of the handler's event types."""
        return isinstance(event, self.event_types)

    async def run(self, saga: Any, event: Any, ctx: SagaContext) -> Any:
        """Call the handler and return the commands it produced."""
        result = self.function(saga, event, ctx)
        return await result if inspect.isawaitable(result) else result


def saga_handler(*event_types: type, starts: bool = False) -> Callable[[F], F]:
    """Mark a method ``(self, event, ctx)`` of an ``EventDrivenSaga`` as the handler of ``event_types``.

    ``starts=True``: an event of these types creates the instance when its correlation key has
    none yet. The method returns the commands to dispatch: None, one command, or a list.
    """
    if not event_types or not all(isinstance(t, type) for t in event_types):
        raise SagaDefinitionError(
            f"@saga_handler takes one or more event classes, got {event_types!r}: "
            "write @saga_handler(OrderPlaced, starts=True)"
        )
    if not isinstance(starts, bool):
        raise SagaDefinitionError(f"@saga_handler(starts=...) must be True or False, got {starts!r}")

    def mark(function: F) -> F:
        if not callable(function):
            raise SagaDefinitionError(f"@saga_handler decorates a method, got {type(function).__name__}")
        name = getattr(function, "__name__", repr(function))
        setattr(function, HANDLER_ATTRIBUTE, SagaHandler(name, function, tuple(event_types), starts))
        return function

    return mark


class EventDrivenSaga:
    """Base class of event-driven sagas (process managers) with durable per-instance state.

    ``correlate_by`` names the event attribute holding the correlation key (its ``str`` is
    used); override ``correlation_key(event)`` for anything else. ``name`` (default: the class
    name) is the saga type in the store. The manager builds one object of the class (with no
    arguments) and hands each handler the instance's ``SagaContext``.
    """

    name: ClassVar[str] = "EventDrivenSaga"
    correlate_by: ClassVar[str | None] = None
    saga_handlers: ClassVar[tuple[SagaHandler, ...]] = ()
    """The handlers, in declaration order (the first that accepts an event handles it)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__
        if not isinstance(cls.name, str) or not cls.name:
            raise SagaDefinitionError(f"{cls.__qualname__}.name must be a non-empty str, got {cls.name!r}")
        if cls.correlate_by is not None and (not isinstance(cls.correlate_by, str) or not cls.correlate_by):
            raise SagaDefinitionError(
                f"{cls.__qualname__}.correlate_by must name an event attribute, got {cls.correlate_by!r}"
            )
        handlers: dict[str, SagaHandler] = {}
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                handler = getattr(value, HANDLER_ATTRIBUTE, None)
                if isinstance(handler, SagaHandler):
                    handlers[attribute] = handler
                elif attribute in handlers:
                    del handlers[attribute]
        cls.saga_handlers = tuple(handlers.values())

    @classmethod
    def check_runnable(cls) -> None:
        """Raise ``SagaDefinitionError`` unless the saga can route events."""
        if not cls.saga_handlers:
            raise SagaDefinitionError(
                f"{cls.__qualname__} declares no handlers; decorate its methods with @saga_handler(EventType)"
            )
        if not any(handler.starts for handler in cls.saga_handlers):
            raise SagaDefinitionError(
                f"{cls.__qualname__} has no handler that starts an instance; mark the first event's handler "
                "with @saga_handler(EventType, starts=True)"
            )
        if cls.correlate_by is None and cls.correlation_key is EventDrivenSaga.correlation_key:
            raise SagaDefinitionError(
                f"{cls.__qualname__} does not say how events correlate: set correlate_by = 'order_id' (an "
                "event attribute) or override correlation_key(self, event)"
            )

    def handler_for(self, event: Any) -> SagaHandler | None:
        """The first handler that accepts ``event``, or None."""
        for handler in self.saga_handlers:
            if handler.accepts(event):
                return handler
        return None

    def correlation_key(self, event: Any) -> str | None:
        """The key of the instance ``event`` belongs to (None: the event belongs to no instance)."""
        attribute = self.correlate_by
        value = None if attribute is None else getattr(event, attribute, None)
        return None if value is None else str(value)
