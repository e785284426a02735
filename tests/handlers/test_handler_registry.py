"""A HandlerRegistry knows which handler handles which message and wires them to buses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

import pytest

from lexigram.contracts.events import (
    CommandHandlerProtocol,
    EventHandlerProtocol,
    QueryHandlerProtocol,
)
from lexigram.di import Container
from lexigram.events import (
    Command,
    CommandBusImpl,
    DomainEvent,
    DuplicateHandlerError,
    EventBusImpl,
    HandlerRegistry,
    Query,
    QueryBusImpl,
    clear_handler_registry,
    command_handler,
    event_handler,
)
from lexigram.events.decorators import declared_handler_info

C = TypeVar("C")
R = TypeVar("R")


class PlaceOrder(Command):
    order_id: str


class CancelOrder(Command):
    order_id: str


class GetOrder(Query[dict[str, str]]):
    order_id: str


class OrderPlaced(DomainEvent):
    order_id: str


class OrderCancelled(DomainEvent):
    order_id: str


@dataclass
class Recalculate:
    """A plain dataclass message: its base class cannot pick the bus."""

    order_id: str


@dataclass
class Ping:
    pass


class PlaceOrderHandler(CommandHandlerProtocol[PlaceOrder, str]):
    async def handle(self, command: PlaceOrder) -> str:
        return "placed " + command.order_id


class GetOrderHandler(QueryHandlerProtocol[GetOrder, dict[str, str]]):
    async def handle(self, query: GetOrder) -> dict[str, str]:
        return {"order_id": query.order_id}


class OrderLog:
    def __init__(self) -> None:
        self.lines: list[str] = []


class OrderEventsHandler:
    """A plain class: its typed ``handle`` (a union of events) says what it handles."""

    def __init__(self, log: OrderLog | None = None) -> None:
        self.log = log or OrderLog()

    async def handle(self, event: OrderPlaced | OrderCancelled) -> None:
        self.log.lines.append(f"{type(event).__name__} {event.order_id}")


def test_each_command_and_query_type_has_one_handler() -> None:
    registry = HandlerRegistry()
    registry.register_command_handler(PlaceOrder, PlaceOrderHandler)
    registry.register_command_handler(PlaceOrder, PlaceOrderHandler)  # the same again: kept once
    registry.register_query_handler(GetOrder, GetOrderHandler)

    assert registry.get_command_handlers() == {PlaceOrder: PlaceOrderHandler}
    assert registry.get_query_handlers() == {GetOrder: GetOrderHandler}

    class OtherHandler:
        async def handle(self, command: PlaceOrder) -> None: ...

    with pytest.raises(DuplicateHandlerError, match="PlaceOrder") as caught:
        registry.register_command_handler(PlaceOrder, OtherHandler)
    assert "OtherHandler" in str(caught.value)
    assert "PlaceOrderHandler" in str(caught.value)
    assert registry.get_command_handlers() == {PlaceOrder: PlaceOrderHandler}  # the first one stays


def test_an_event_type_may_have_many_handlers_each_kept_once() -> None:
    async def audit(event: OrderPlaced) -> None: ...

    registry = HandlerRegistry()
    registry.register_event_handler(OrderPlaced, OrderEventsHandler)
    registry.register_event_handler(OrderPlaced, audit)
    registry.register_event_handler(OrderPlaced, audit)

    assert registry.get_event_handlers() == {OrderPlaced: [OrderEventsHandler, audit]}
    assert len(registry) == 2


def test_register_reads_kind_and_types_from_base_classes_typed_handle_and_message_base() -> None:
    registry = HandlerRegistry()

    assert registry.register(PlaceOrderHandler).kind == "command"
    assert registry.register(GetOrderHandler).message_types == (GetOrder,)
    spec = registry.register(OrderEventsHandler)

    assert spec.kind == "event"
    assert spec.message_types == (OrderPlaced, OrderCancelled)
    assert registry.get_event_handlers() == {
        OrderPlaced: [OrderEventsHandler],
        OrderCancelled: [OrderEventsHandler],
    }


def test_a_bare_base_class_subclass_takes_its_type_from_handle() -> None:
    class NotifyOnPlaced(EventHandlerProtocol):  # type: ignore[type-arg]
        async def handle(self, event: OrderPlaced) -> None: ...

    spec = HandlerRegistry().register(NotifyOnPlaced)

    assert spec.kind == "event"
    assert spec.message_types == (OrderPlaced,)


def test_a_union_type_argument_subscribes_to_each_member() -> None:
    class OrderAudit(EventHandlerProtocol[OrderPlaced | OrderCancelled]):
        async def handle(self, event: OrderPlaced | OrderCancelled) -> None: ...

    assert HandlerRegistry().register(OrderAudit).message_types == (OrderPlaced, OrderCancelled)


def test_type_arguments_are_followed_through_generic_intermediate_classes() -> None:
    class LoggingHandler(CommandHandlerProtocol[C, R], Generic[C, R]):
        pass

    class Cancel(LoggingHandler[CancelOrder, None]):
        async def handle(self, command: CancelOrder) -> None: ...

    assert HandlerRegistry().register(Cancel).message_types == (CancelOrder,)


def test_the_decorator_kind_wins_for_decorated_handlers() -> None:
    @command_handler
    async def recalculate(command: Recalculate) -> None: ...

    spec = HandlerRegistry().register(recalculate)

    assert spec.kind == "command"
    assert spec.message_types == (Recalculate,)


def test_handlers_that_do_not_say_what_they_handle_are_refused() -> None:
    class PingHandler:
        async def handle(self, message: Ping) -> None: ...

    class MixedHandler:
        async def handle(self, message: PlaceOrder | OrderPlaced) -> None: ...

    class Untyped:
        async def handle(self, message) -> None: ...  # type: ignore[no-untyped-def]

    registry = HandlerRegistry()
    with pytest.raises(TypeError, match="not a Command, Query or DomainEvent"):
        registry.register(PingHandler)
    with pytest.raises(TypeError, match="mixes commands, queries and events"):
        registry.register(MixedHandler)
    with pytest.raises(TypeError, match="no type annotation"):
        registry.register(Untyped)


def test_load_decorators_takes_the_global_registry_and_clearing_it_clears_registries() -> None:
    @command_handler(PlaceOrder)
    async def place(command: PlaceOrder) -> str:
        return "ok"

    @event_handler
    class Notifier:
        async def handle(self, event: OrderPlaced) -> None: ...

    registry = HandlerRegistry.with_defaults()
    assert len(registry) == 0
    assert registry.load_decorators() == 2
    assert registry.get_command_handlers() == {PlaceOrder: place}
    assert registry.get_event_handlers() == {OrderPlaced: [Notifier]}

    clear_handler_registry()

    assert len(registry) == 0


async def test_register_with_buses_builds_each_class_once_and_wires_every_route() -> None:
    registry = HandlerRegistry()
    for handler in (PlaceOrderHandler, GetOrderHandler, OrderEventsHandler):
        registry.register(handler)
    log = OrderLog()
    built: list[type] = []

    def factory(cls: type) -> object:
        built.append(cls)
        return OrderEventsHandler(log) if cls is OrderEventsHandler else cls()

    commands, queries, events = CommandBusImpl(), QueryBusImpl(), EventBusImpl()
    registry.register_with_buses(
        command_bus=commands, query_bus=queries, event_bus=events, handler_factory=factory
    )
    try:
        assert await commands.dispatch(PlaceOrder(order_id="o-1")) == "placed o-1"
        assert await queries.execute(GetOrder(order_id="o-1")) == {"order_id": "o-1"}
        await events.publish(OrderPlaced(order_id="o-1"))
        await events.publish(OrderCancelled(order_id="o-1"))
        await events.flush()
    finally:
        await events.close()

    assert sorted(cls.__name__ for cls in built) == [
        "GetOrderHandler",
        "OrderEventsHandler",
        "PlaceOrderHandler",
    ]
    assert log.lines == ["OrderPlaced o-1", "OrderCancelled o-1"]


async def test_register_with_buses_only_touches_the_buses_it_is_given() -> None:
    registry = HandlerRegistry()
    registry.register(PlaceOrderHandler)
    registry.register(OrderEventsHandler)
    commands = CommandBusImpl()

    registry.register_with_buses(command_bus=commands)  # classes built with no arguments

    assert await commands.dispatch(PlaceOrder(order_id="o-2")) == "placed o-2"


async def test_register_with_container_makes_handler_classes_resolvable_with_dependencies() -> None:
    registry = HandlerRegistry()
    registry.register(OrderEventsHandler)

    async def log_line(event: OrderPlaced) -> None: ...

    registry.register_event_handler(OrderPlaced, log_line)  # functions are not registered
    container = Container()
    log = OrderLog()
    container.register_instance(OrderLog, log)

    registry.register_with_container(container)
    registry.register_with_container(container)  # again: nothing changes

    handler = await container.resolve(OrderEventsHandler)
    assert handler.log is log
    assert not container.has(log_line)


def test_a_decoration_stays_readable_on_the_object_after_the_registry_is_cleared() -> None:
    @event_handler
    class Notifier:
        async def handle(self, event: OrderPlaced) -> None: ...

    class LouderNotifier(Notifier):
        pass

    clear_handler_registry()

    info = declared_handler_info(Notifier)
    assert info is not None
    assert info.message_types == [OrderPlaced]
    assert declared_handler_info(LouderNotifier) is None  # subclasses are not decorated themselves
    assert HandlerRegistry().register(Notifier).kind == "event"
