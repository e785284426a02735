"""``ValidationMiddleware``: reject invalid messages before they reach a handler.

A message is checked by its own ``validate()`` method, when it has one, then by the validators
given to the middleware. A validator is a callable (sync or async) taking the message and
returning ``None`` or ``True`` (valid), ``False`` (invalid), a problem description, or a list of
them; raising ``ValueError``/``TypeError`` (``ValidationError`` included) also reports a problem.
Every problem found is collected into one ``MessageValidationError``::

    def positive_amount(command):
        if getattr(command, "amount_cents", 1) <= 0:
            return "amount_cents must be positive"

    bus.use(ValidationMiddleware([positive_amount]))                  # every message
    bus.use(ValidationMiddleware({CreateInvoice: [positive_amount]}))  # by message class
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

from lexigram.events.exceptions import MessageValidationError
from lexigram.events.middleware.base import AbstractMiddleware, NextHandler

__all__ = ["ValidationMiddleware", "Validator"]

Validator = Callable[[Any], Any]
"""``(message) -> None | bool | str | list[str]``, or an awaitable of one."""


def _name(validator: Any) -> str:
    return getattr(validator, "__qualname__", None) or type(validator).__qualname__


def _problems(outcome: Any, source: str) -> list[str]:
    if outcome is None or outcome is True:
        return []
    if outcome is False:
        return [f"rejected by {source}"]
    if isinstance(outcome, str):
        return [outcome] if outcome else []
    if isinstance(outcome, Iterable):
        return [str(problem) for problem in outcome]
    raise TypeError(
        f"validator {source} returned {outcome!r}; return None/True, False, a message or a list of messages"
    )


class ValidationMiddleware(AbstractMiddleware[Any, Any]):
    """Run ``message.validate()`` and the given validators; raise ``MessageValidationError`` on problems.

    ``validators`` is a list applied to every message, or a mapping from message class to the
    validators of that class (and its subclasses). Messages without ``validate()`` and without
    validators pass straight through.
    """

    def __init__(
        self,
        validators: Iterable[Validator] | Mapping[type, Iterable[Validator]] | None = None,
        *,
        call_validate: bool = True,
    ) -> None:
        self._call_validate = call_validate
        self._general: list[Validator] = []
        self._by_type: dict[type, list[Validator]] = {}
        self._plans: dict[type, tuple[bool, tuple[Validator, ...]]] = {}
        if isinstance(validators, Mapping):
            for message_type, group in validators.items():
                for validator in group:
                    self.add(validator, message_type)
        else:
            for validator in validators or ():
                self.add(validator)

    def add(self, validator: Validator, message_type: type | None = None) -> Self:
        """Add a validator, for every message or for one message class; returns the middleware."""
        if not callable(validator):
            raise TypeError(f"a validator must be callable, got {validator!r}")
        if message_type is None:
            self._general.append(validator)
        else:
            self._by_type.setdefault(message_type, []).append(validator)
        self._plans.clear()
        return self

    def _plan(self, message_type: type) -> tuple[bool, tuple[Validator, ...]]:
        plan = self._plans.get(message_type)
        if plan is None:
            has_validate = self._call_validate and callable(getattr(message_type, "validate", None))
            specific = [
                v for cls, group in self._by_type.items() if issubclass(message_type, cls) for v in group
            ]
            plan = self._plans[message_type] = (has_validate, (*self._general, *specific))
        return plan

    async def problems(self, message: Any) -> list[str]:
        """Every problem the message's ``validate()`` and the validators report (empty: valid)."""
        has_validate, validators = self._plan(type(message))
        found: list[str] = []
        if has_validate:
            found += await self._run(message.validate, f"{type(message).__name__}.validate()")
        for validator in validators:
            found += await self._run(functools.partial(validator, message), _name(validator))
        return found

    @staticmethod
    async def _run(check: Callable[[], Any], source: str) -> list[str]:
        try:
            outcome = check()
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except MessageValidationError as exc:
            return list(exc.problems)
        except (ValueError, TypeError) as exc:
            return [str(exc) or f"rejected by {source}"]
        return _problems(outcome, source)

    async def __call__(self, message: Any, next_handler: NextHandler) -> Any:
        """Validate, then continue; raise ``MessageValidationError`` listing every problem."""
        has_validate, validators = self._plan(type(message))
        if has_validate or validators:
            found = await self.problems(message)
            if found:
                raise MessageValidationError(type(message).__name__, found)
        return await next_handler(message)
