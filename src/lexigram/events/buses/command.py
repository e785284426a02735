"""``CommandBusImpl``: routes each command to its one handler, through the middleware pipeline.

::

    bus = CommandBus()
    bus.register(RegisterUser, handle_register_user)
    await bus.dispatch(RegisterUser(user_id="u1", email="admin@lexigram.dev"))

The handler's return value comes back unchanged (an ``Err`` is returned, not raised). A command
without a handler raises ``HandlerNotFoundError``; a ``LexigramError`` from the handler propagates
as it is, and any other exception becomes ``CommandExecutionError`` with ``__cause__`` set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from lexigram.events.buses.invocation import ResolvedHandler
from lexigram.events.buses.routing import SingleHandlerBus, guard_handler
from lexigram.events.config import CommandBusConfig
from lexigram.events.exceptions import CommandExecutionError
from lexigram.events.middleware.base import MiddlewareCallable, NextHandler

__all__ = ["CommandBus", "CommandBusImpl"]


def _command_failed(command_type: str, error: str) -> CommandExecutionError:
    return CommandExecutionError(command_type=command_type, error=error)


class CommandBusImpl(SingleHandlerBus):
    """The in-process command bus: exactly one handler per command type, looked up by exact type.

    ``config.timeout_seconds`` bounds every handler call: a handler still running then is cancelled
    and the call raises ``CommandExecutionError`` ("timed out").
    """

    _role: ClassVar[str] = "command"
    _verb: ClassVar[str] = "dispatch"

    def __init__(
        self,
        middlewares: Iterable[MiddlewareCallable] | None = None,
        config: CommandBusConfig | None = None,
    ) -> None:
        super().__init__(middlewares)
        self.config = config if config is not None else CommandBusConfig()

    async def dispatch(self, command: Any) -> Any:
        """Run ``command`` through the middleware and its handler; return the handler's result."""
        route = self._routes.get(type(command))
        if route is None:
            raise self._no_route(command)
        return await route(command)

    def _terminal(
        self, message_type: type, resolved: ResolvedHandler, call: Callable[[Any], Awaitable[Any]]
    ) -> NextHandler:
        return guard_handler(call, self.config, _command_failed)


CommandBus = CommandBusImpl
"""The command bus; the same class as ``CommandBusImpl``."""
