"""The demo application: boots an app, runs an order-fulfilment story and prints what happened."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lexigram import Application
from lexigram.contracts.events import (
    CommandBusProtocol,
    EventBusProtocol,
    EventStoreProtocol,
    QueryBusProtocol,
)
from lexigram.di.module import DynamicModule, Module, module
from lexigram.events import (
    ConcurrencyError,
    EventsConfig,
    EventsModule,
    InvalidOperationError,
    ProjectionManager,
)
from lexigram.events.demo.domain import ORDER_EVENTS, CancelOrder, PayOrder, PlaceOrder, ShipOrder
from lexigram.events.demo.handlers import (
    CancelOrderHandler,
    GetOrderSummaryHandler,
    ListOrdersHandler,
    Narrator,
    OrderRepository,
    OrderSummaryProjector,
    PayOrderHandler,
    PlaceOrderHandler,
    ShipOrderHandler,
    ShippingNotifier,
)
from lexigram.events.demo.read_model import (
    GetOrderSummary,
    ListOrders,
    OrderSummaryReadModel,
    OrderSummaryTable,
)
from lexigram.events.demo.returns import Couriers, Payments, ReturnSaga
from lexigram.events.demo.storage import DEMO_READ_MODEL, demo_config, start_afresh, stored_in_file
from lexigram.events.sagas import SagaManager
from lexigram.events.types import EventStoreBackend

__all__ = ["DemoReport", "build_module", "run_demo"]

HANDLERS = (
    PlaceOrderHandler,
    PayOrderHandler,
    ShipOrderHandler,
    CancelOrderHandler,
    OrderSummaryProjector,
    ShippingNotifier,
    GetOrderSummaryHandler,
    ListOrdersHandler,
)


@dataclass
class DemoReport:
    """What the demo did, for tests and for the closing summary."""

    orders: dict[str, str] = field(default_factory=dict)
    events_stored: int = 0
    conflicts_resolved: int = 0
    rejected_commands: int = 0
    sql_rows: dict[str, str] = field(default_factory=dict)
    returns: dict[str, str] = field(default_factory=dict)


def build_module(config: EventsConfig | None = None) -> type[Module]:
    """The demo's root module: events subsystem, handlers, providers and (on SQLite) a SQL projection."""
    config = config or EventsConfig()
    events: DynamicModule = EventsModule.configure(config)
    imports: list[Any] = [
        events,
        EventsModule.scope(*HANDLERS),
        EventsModule.sagas(ReturnSaga, services={"payments": Payments, "couriers": Couriers}),
    ]
    if config.event_store_backend is EventStoreBackend.SQLITE:
        imports.append(EventsModule.projections(OrderSummaryTable))

    @module(
        imports=imports,
        providers=[OrderSummaryReadModel, OrderRepository, Narrator, Payments, Couriers],
    )
    class OrderFulfilmentModule(Module):
        """Order fulfilment: commands, the Order aggregate, events and the order-summary read model."""

    return OrderFulfilmentModule


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


async def run_demo(config: EventsConfig | None = None, say: Callable[[str], None] = print) -> DemoReport:
    """Run the order-fulfilment story and print each step through ``say``.

    Without ``config`` the events go to the SQLite file ``./lexigram-demo.db``. A SQLite file is
    started afresh (an earlier demo's file is replaced; any other file is refused with a
    ``ConfigurationError``), so every run tells the same story, and the file stays afterwards.
    """
    config = config if config is not None else demo_config()
    report = DemoReport()
    file = stored_in_file(config)
    if file is not None and config.sqlite is not None:
        await asyncio.to_thread(start_afresh, config.sqlite)
        say(f"0. The events are stored in the SQLite file {file} (started afresh for this run)")
    elif config.event_store_backend is EventStoreBackend.MEMORY:
        say("0. The events are kept in memory: nothing outlives this run")
    else:
        say(f"0. The events are stored in the {config.event_store_backend.value} event store")
    async with Application.boot(name="order-fulfilment", modules=[build_module(config)]) as app:
        container = app.container
        narrator = await container.resolve(Narrator)
        narrator.say = say
        commands: Any = await container.resolve(CommandBusProtocol)
        queries: Any = await container.resolve(QueryBusProtocol)
        bus: Any = await container.resolve(EventBusProtocol)
        store: Any = await container.resolve(EventStoreProtocol)
        register_event_type = getattr(store, "register_event_type", None)
        if callable(register_event_type):
            for event_class in ORDER_EVENTS:
                register_event_type(event_class.__name__, event_class)
        orders = await container.resolve(OrderRepository)

        say("1. Customers place orders (commands -> Order aggregate -> events)")
        placements = [
            ("o-1001", "Ada", [("LAMP", 2, Decimal("19.99")), ("SHADE", 1, Decimal("12.50"))]),
            ("o-1002", "Grace", [("DESK", 1, Decimal("249.00"))]),
            ("o-1003", "Linus", [("CHAIR", 4, Decimal("89.90"))]),
        ]
        for order_id, customer, lines in placements:
            await commands.dispatch(PlaceOrder(order_id=order_id, customer=customer, lines=lines))
            summary = ", ".join(f"{q} x {sku} @ {_money(p)}" for sku, q, p in lines)
            say(f"   PlaceOrder {order_id} for {customer}: {summary}")
        await bus.flush()

        say("2. Payments and shipping")
        await commands.dispatch(PayOrder(order_id="o-1001", amount=Decimal("52.48")))
        say("   PayOrder o-1001: 52.48 paid")
        await commands.dispatch(PayOrder(order_id="o-1002", amount=Decimal("249.00")))
        say("   PayOrder o-1002: 249.00 paid")
        await commands.dispatch(ShipOrder(order_id="o-1001", carrier="DHL"))
        await bus.flush()
        try:
            await commands.dispatch(ShipOrder(order_id="o-1003", carrier="UPS"))
        except InvalidOperationError as exc:
            report.rejected_commands += 1
            say(f"   ShipOrder o-1003 rejected by the aggregate: {exc}")

        say("3. Two clerks change o-1002 at the same time (optimistic concurrency)")
        first, second = await orders.get_or_raise("o-1002"), await orders.get_or_raise("o-1002")
        first.ship("FedEx")
        await orders.save(first)
        say(f"   clerk A ships o-1002 at version {first.version}")
        second.cancel("customer called")
        try:
            await orders.save(second)
        except ConcurrencyError as exc:
            report.conflicts_resolved += 1
            say(f"   clerk B's save is refused: {exc}")
            reloaded = await orders.get_or_raise("o-1002")
            say(f"   clerk B reloads: o-1002 is now '{reloaded.status}', so it is not cancelled")
        await commands.dispatch(CancelOrder(order_id="o-1003", reason="out of stock"))
        say("   CancelOrder o-1003: out of stock")
        await bus.flush()

        say("4. The read model (queries never touch the aggregate)")
        for row in await queries.execute(ListOrders()):
            tracking = f", tracking {row.tracking_number}" if row.tracking_number else ""
            say(
                f"   {row.order_id}  {row.customer:<6} {row.status:<9} {row.items} items  "
                f"{_money(row.total):>7}{tracking}"
            )
            report.orders[row.order_id] = row.status
        shipped = await queries.execute(GetOrderSummary(order_id="o-1001"))
        say(f"   history of o-1001: {' -> '.join(shipped.history)}")

        say("5. The event log: every change, in global order")
        async for event in store.stream_all():
            report.events_stored += 1
            say(f"   #{event.sequence_number:<3} {event.aggregate_id!s:<8} {event.event_type}")

        say("6. Event sourcing: o-1001 rebuilt from its events alone")
        rebuilt = await orders.get_or_raise("o-1001")
        say(
            f"   o-1001 at version {rebuilt.version}: status={rebuilt.status}, "
            f"customer={rebuilt.customer}, total={_money(rebuilt.total)}, "
            f"tracking={rebuilt.tracking_number}"
        )
        if config.event_store_backend is EventStoreBackend.SQLITE:
            await _show_sql_read_model(await container.resolve(ProjectionManager), report, say)
        await _run_returns(await container.resolve(SagaManager), report, say)
        say(f"   the payment provider's ledger: {'; '.join((await container.resolve(Payments)).ledger)}")
    say(
        f"Done: {report.events_stored} events stored, {report.conflicts_resolved} write conflict "
        f"caught, {report.rejected_commands} invalid command rejected."
    )
    return report


async def _show_sql_read_model(
    manager: ProjectionManager, report: DemoReport, say: Callable[[str], None]
) -> None:
    say("7. A SQL read model: a projection writing order_summary in the same SQLite file")
    await manager.wait_for_position(report.events_stored, DEMO_READ_MODEL)
    async with manager.checkpoint_store.transaction() as transaction:
        assert transaction.session is not None
        rows = await OrderSummaryTable.rows(transaction.session)
    for order_id, customer, status, items, total in rows:
        say(f"   {order_id}  {customer:<6} {status:<9} {items} items  {_money(Decimal(total)):>7}")
        report.sql_rows[order_id] = status
    position = (await manager.get_status(DEMO_READ_MODEL))["position"]
    say(f"   each batch of rows committed with the projection's checkpoint (now at position {position})")
    applied = await manager.rebuild(DEMO_READ_MODEL)
    say(f"   rebuilt from position 0 without touching the aggregates: {applied} events applied again")


async def _run_returns(sagas: SagaManager, report: DemoReport, say: Callable[[str], None]) -> None:
    say("8. Returns: a saga refunds the payment, then books a courier; a failure undoes the refund")
    for order_id, amount in (("o-1002", "249.00"), ("o-1001", "52.48")):
        saga_id = await sagas.start(ReturnSaga, data={"order_id": order_id, "amount": amount})
        record = await sagas.get(saga_id)
        report.returns[order_id] = record.status.value
        steps = ", ".join(f"{step.name} {step.status.value}" for step in record.steps)
        say(f"   return of {order_id}: {record.status.value} ({steps})")
        if record.error:
            say(f"      because: {record.error}")


def main() -> None:
    """Run the demo with the default configuration (SQLite in ``./lexigram-demo.db``)."""
    asyncio.run(run_demo())
