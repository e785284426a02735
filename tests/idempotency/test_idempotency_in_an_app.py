"""In an application, decorated idempotent handlers are de-duplicated whichever way they are wired."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from lexigram import Application
from lexigram.contracts.events import CommandBusProtocol
from lexigram.contracts.events.idempotency import IdempotencyStoreProtocol
from lexigram.events import Command, Deduplicator, EventsConfig, EventsModule, SqliteConfig, command_handler
from lexigram.events.decorators.handlers import idempotent
from lexigram.events.types import EventStoreBackend


class RenewSubscription(Command):
    customer_id: str


class SendStatement(Command):
    customer_id: str


async def test_decorated_idempotent_handlers_run_once_per_command_in_an_app() -> None:
    renewals: list[str] = []
    statements: list[str] = []

    @idempotent
    @command_handler(RenewSubscription)
    class RenewSubscriptionHandler:
        async def handle(self, command: RenewSubscription) -> str:
            renewals.append(command.customer_id)
            return f"renewed {command.customer_id}"

    @command_handler(SendStatement, idempotent=True, idempotency_ttl=60)
    async def send_statement(command: SendStatement) -> None:
        statements.append(command.customer_id)

    async with Application.boot(name="billing", modules=[EventsModule.configure()]) as app:
        commands = await app.container.resolve(CommandBusProtocol)
        renew = RenewSubscription(customer_id="c-1")
        assert await commands.dispatch(renew) == await commands.dispatch(renew) == "renewed c-1"
        statement = SendStatement(customer_id="c-1")
        await commands.dispatch(statement)
        await commands.dispatch(statement)
        await commands.dispatch(SendStatement(customer_id="c-1"))  # a new request

    assert renewals == ["c-1"]
    assert statements == ["c-1", "c-1"]


async def test_an_app_purges_expired_idempotency_keys_by_itself(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    config = EventsConfig(
        event_store_backend=EventStoreBackend.SQLITE,
        sqlite=SqliteConfig(database=str(database)),
        command_bus={"idempotency_purge_interval": 0.05},
    )
    async with Application.boot(name="shop", modules=[EventsModule.configure(config)]) as app:
        store = await app.container.resolve(IdempotencyStoreProtocol)

        async def work() -> str:
            return "done"

        assert await Deduplicator(store).run("command:short-lived", "fp", work, ttl=0.01) == "done"
        for _ in range(100):
            with sqlite3.connect(database) as connection:
                left = connection.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]
            if left == 0:
                break
            await asyncio.sleep(0.02)
        assert left == 0
