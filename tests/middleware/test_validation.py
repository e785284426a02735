"""ValidationMiddleware rejects invalid messages before their handler runs."""

from __future__ import annotations

import pytest

from lexigram.events import (
    Command,
    CommandBusImpl,
    MessageValidationError,
    ValidationError,
    ValidationMiddleware,
)


class Transfer(Command):
    amount: int
    account: str = "main"

    def validate(self) -> list[str]:
        return ["amount must be positive"] if self.amount <= 0 else []


class Note(Command):
    text: str


def handled_bus(middleware: ValidationMiddleware) -> tuple[CommandBusImpl, list[object]]:
    handled: list[object] = []
    bus = CommandBusImpl(middlewares=[middleware])
    bus.register(Transfer, handled.append)
    bus.register(Note, handled.append)
    return bus, handled


async def test_the_messages_own_validate_method_is_used() -> None:
    bus, handled = handled_bus(ValidationMiddleware())
    with pytest.raises(MessageValidationError) as caught:
        await bus.dispatch(Transfer(amount=0))
    assert caught.value.problems == ["amount must be positive"]
    assert caught.value.message_type == "Transfer"
    assert isinstance(caught.value, ValidationError)
    assert handled == []
    await bus.dispatch(Transfer(amount=5))
    assert len(handled) == 1


async def test_every_problem_from_every_validator_is_reported() -> None:
    async def known_account(command: object) -> str | None:
        return None if getattr(command, "account", "main") == "main" else "unknown account"

    def not_shouting(command: object) -> bool:
        return not str(getattr(command, "text", "")).isupper()

    def raises(command: object) -> None:
        if abs(getattr(command, "amount", 1)) > 1000:
            raise ValueError("amount over the limit")

    middleware = ValidationMiddleware([known_account, not_shouting, raises])
    bus, handled = handled_bus(middleware)
    with pytest.raises(MessageValidationError) as caught:
        await bus.dispatch(Transfer(amount=-5000, account="other"))
    assert caught.value.problems == ["amount must be positive", "unknown account", "amount over the limit"]
    with pytest.raises(MessageValidationError, match="rejected by"):
        await bus.dispatch(Note(text="HELLO"))
    await bus.dispatch(Note(text="hello"))
    assert len(handled) == 1


async def test_validators_can_target_one_message_class() -> None:
    middleware = ValidationMiddleware({Note: [lambda note: "empty note" if not note.text else None]})
    bus, _ = handled_bus(middleware)
    with pytest.raises(MessageValidationError, match="empty note"):
        await bus.dispatch(Note(text=""))
    await bus.dispatch(Transfer(amount=1))
    middleware.add(lambda t: ["never on Transfer"], Transfer)
    with pytest.raises(MessageValidationError, match="never on Transfer"):
        await bus.dispatch(Transfer(amount=1))


async def test_messages_without_rules_pass_and_bad_validators_are_reported() -> None:
    bus, handled = handled_bus(ValidationMiddleware(call_validate=False))
    await bus.dispatch(Transfer(amount=-1))
    assert len(handled) == 1
    with pytest.raises(TypeError, match="callable"):
        ValidationMiddleware(["not a validator"])  # type: ignore[list-item]
    odd = CommandBusImpl(middlewares=[ValidationMiddleware([lambda c: 42])])
    odd.register(Note, lambda c: None)
    with pytest.raises(TypeError, match="returned 42"):
        await odd.dispatch(Note(text="x"))
