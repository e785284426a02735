"""``CommandBusImpl``: routes each command to its one handler, through the middleware pipeline.

::

    bus = CommandBus()
    bus.register(RegisterUser, handle_register_user)
    await bus.dispatch(RegisterUser(user_id="u1", email="admin@lexigram.dev"))

The handler's return value comes back unchanged (an ``Err`` is returned, not raised). A command
without a handler raises ``HandlerNotFoundError``; a ``LexigramError`` from the handler propagates
as it is, and any other exception becomes ``CommandExecutionError`` with ``__cause__`` set.

Idempotency: with an ``idempotency_store``, an ``IdempotentCommand`` runs its handler once per
``effective_idempotency_key``, and every later dispatch with the key gets the recorded result
(see ``lexigram.events.idempotency.Deduplicator``). A handler declared ``@idempotent`` (or
``@command_handler(X, idempotent=True)``) is de-duplicated for any command type, by the command's
``idempotency_key`` or else its ``id``; without a store the bus keeps such handlers' keys in
memory. Whether a route de-duplicates is decided when the handler is registered, so other
commands pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar

from lexigram.contracts.events.idempotency import IdempotencyStoreProtocol
from lexigram.events.buses.invocation import ResolvedHandler
from lexigram.events.buses.routing import SingleHandlerBus, guard_handler
from lexigram.events.config import CommandBusConfig
from lexigram.events.exceptions import CommandExecutionError, InvalidIdempotencyKeyError
from lexigram.events.idempotency.checks import checked_seconds
from lexigram.events.idempotency.deduplicator import DEFAULT_LEASE_SECONDS, DEFAULT_WAIT_TIMEOUT, Deduplicator
from lexigram.events.idempotency.fingerprint import command_fingerprint
from lexigram.events.idempotency.policy import IdempotencyPolicy, idempotency_policy
from lexigram.events.messages.command import IdempotentCommand
from lexigram.events.middleware.base import MiddlewareCallable, NextHandler

__all__ = ["CommandBus", "CommandBusImpl", "command_idempotency_key"]


def _command_failed(command_type: str, error: str) -> CommandExecutionError:
    return CommandExecutionError(command_type=command_type, error=error)


def command_idempotency_key(command: Any) -> str:
    """``command:<key>``: the command's ``idempotency_key``, else its ``id``."""
    key = getattr(command, "effective_idempotency_key", None) or getattr(command, "idempotency_key", None)
    if key is None:
        key = getattr(command, "id", None)
    if key is None or (isinstance(key, str) and not key):
        raise InvalidIdempotencyKeyError(
            f"{type(command).__name__} is handled idempotently but has neither an idempotency_key nor an id; "
            "derive it from Command or IdempotentCommand, or give it an idempotency_key field"
        )
    return f"command:{key}"


class CommandBusImpl(SingleHandlerBus):
    """The in-process command bus: exactly one handler per command type, looked up by exact type.

    ``config.timeout_seconds`` bounds every handler call: a handler still running then is cancelled
    and the call raises ``CommandExecutionError`` ("timed out"). ``idempotency_store`` (any
    ``IdempotencyStoreProtocol``) de-duplicates idempotent commands; ``idempotency_wait_timeout``
    bounds how long a dispatch waits for a concurrent run of the same key
    (``IdempotencyInProgressError`` after it).
    """

    _role: ClassVar[str] = "command"
    _verb: ClassVar[str] = "dispatch"

    def __init__(
        self,
        middlewares: Iterable[MiddlewareCallable] | None = None,
        config: CommandBusConfig | None = None,
        idempotency_store: IdempotencyStoreProtocol | None = None,
        idempotency_wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
    ) -> None:
        self.config = config if config is not None else CommandBusConfig()
        self._wait_timeout = checked_seconds(idempotency_wait_timeout, "idempotency_wait_timeout")
        self._deduplicator = self._deduplicator_for(idempotency_store)
        self._fallback: Deduplicator | None = None
        super().__init__(middlewares)

    @property
    def idempotency_store(self) -> IdempotencyStoreProtocol | None:
        """The store idempotent commands are de-duplicated on (None: ``@idempotent`` ones in memory)."""
        return None if self._deduplicator is None else self._deduplicator.store

    @idempotency_store.setter
    def idempotency_store(self, store: IdempotencyStoreProtocol | None) -> None:
        self._deduplicator = self._deduplicator_for(store)
        self._routes = {t: self._build_route(t, r) for t, r in self._handlers.items()}

    async def dispatch(self, command: Any) -> Any:
        """Run ``command`` through the middleware and its handler; return the handler's result."""
        route = self._routes.get(type(command))
        if route is None:
            raise self._no_route(command)
        return await route(command)

    def _deduplicator_for(self, store: IdempotencyStoreProtocol | None) -> Deduplicator | None:
        if store is None:
            return None
        timeout = self.config.timeout_seconds
        lease = max(DEFAULT_LEASE_SECONDS, 2 * timeout) if timeout else DEFAULT_LEASE_SECONDS
        return Deduplicator(store, wait_timeout=self._wait_timeout, lease_seconds=lease)

    def _memory_deduplicator(self) -> Deduplicator:
        if self._fallback is None:
            from lexigram.events.stores.memory.idempotency_store import InMemoryIdempotencyStore

            self._fallback = Deduplicator(InMemoryIdempotencyStore(), wait_timeout=self._wait_timeout)
        return self._fallback

    def _terminal(
        self, message_type: type, resolved: ResolvedHandler, call: Callable[[Any], Awaitable[Any]]
    ) -> NextHandler:
        guarded = guard_handler(call, self.config, _command_failed)
        policy = idempotency_policy(resolved.original)
        if policy is None and issubclass(message_type, IdempotentCommand) and self._deduplicator is not None:
            policy = IdempotencyPolicy()
        if policy is None:
            return guarded
        deduplicator = self._deduplicator if self._deduplicator is not None else self._memory_deduplicator()
        ttl, describe = policy.ttl, message_type.__name__

        async def dispatch_once(command: Any) -> Any:
            key = command_idempotency_key(command)
            return await deduplicator.run(
                key, command_fingerprint(command), lambda: guarded(command), ttl=ttl, describe=describe
            )

        return dispatch_once


CommandBus = CommandBusImpl
"""The command bus; the same class as ``CommandBusImpl``."""
