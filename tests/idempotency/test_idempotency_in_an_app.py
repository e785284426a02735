"""In an application, decorated idempotent handlers are de-duplicated whichever way they are wired."""

from __future__ import annotations

from lexigram import Application
from lexigram.contracts.events import CommandBusProtocol
from lexigram.events import Command, EventsModule, command_handler
from lexigram.events.decorators.handlers import idempotent


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
