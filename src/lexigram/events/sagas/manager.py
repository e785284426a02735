"""``SagaManager``: starts, drives, resumes and routes events to sagas, with their state in a saga store.

Orchestrated sagas (``SagaBase``): ``await manager.start(OrderSaga, data={...})`` runs the steps in
order, saving after every transition, and returns the saga id once the saga is final (a failed
step does not raise: read the outcome with ``await manager.get(saga_id)``).

Event-driven sagas: ``manager.register(ShippingSaga)`` (an ``EventDrivenSaga``, state per
correlation key in the store) or ``manager.register(saga_object)`` (any ``SagaProtocol`` object
with ``async handle(event)``); ``await manager.process(event)`` hands the event to every saga that
handles it and dispatches the commands they return on ``command_bus``.

After a restart, ``await manager.resume_incomplete()`` continues every orchestrated saga left
STARTED, RUNNING or COMPENSATING whose claim is free or expired. A manager claims an instance
(``owner`` with ``lease_expires_at``) before it drives it and renews the claim while it runs, so
two managers never drive one saga at the same time.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import os
import socket
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.contracts.messages.ids import utc_now
from lexigram.contracts.workflow.records import SagaRecord, SagaState, SagaStepRecord, SagaStepStatus
from lexigram.events.exceptions import (
    SagaConcurrencyError,
    SagaDefinitionError,
    SagaError,
    SagaExecutionError,
    SagaNotFoundError,
    SagaValidationError,
)
from lexigram.events.sagas.base import SagaBase
from lexigram.events.sagas.context import SagaContext, SagaServices
from lexigram.events.sagas.event_driven import EventDrivenSaga, SagaHandler
from lexigram.events.sagas.memory_store import InMemorySagaStore
from lexigram.events.sagas.routing import KeyedLocks, accepted_event_types, command_list
from lexigram.events.sagas.rows import checked_saga_id, decode_data, encode_data
from lexigram.events.sagas.runner import SagaRun, initial_record

if TYPE_CHECKING:
    from lexigram.contracts.workflow import SagaManagerProtocol

__all__ = ["SagaManager"]

logger = logging.getLogger("lexigram.events.sagas")

_ROUTE_ATTEMPTS = 5
"""Times an event-driven saga re-reads its instance after losing a version race, before giving up."""

_STORE_METHODS = ("create", "save", "get", "find", "list_incomplete")


def _default_owner() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _seen(record: SagaRecord, event_id: str | None) -> bool:
    return event_id is not None and any(step.event_id == event_id for step in record.steps)


class SagaManager:
    """Runs the application's sagas.

    ``store`` keeps the instances (default: a new ``InMemorySagaStore``; ``SqlSagaStore`` for
    sagas that survive restarts). ``services`` is what steps find in ``ctx.services``: a dict
    gives attribute access (``ctx.services.inventory``), any other object is handed over as is.
    ``command_bus`` dispatches the commands of event-driven sagas. ``owner`` names this manager in
    the claims it writes (default: host, pid and a random suffix); a claim lasts ``claim_ttl``
    seconds without renewal, so a crashed manager's sagas can be resumed elsewhere after that.
    ``max_concurrent_resumes`` bounds how many sagas ``resume_incomplete`` drives at once.
    """

    def __init__(
        self,
        store: Any = None,
        services: Any = None,
        command_bus: Any = None,
        *,
        owner: str | None = None,
        claim_ttl: float = 30.0,
        max_concurrent_resumes: int = 8,
    ) -> None:
        if store is not None and not all(callable(getattr(store, m, None)) for m in _STORE_METHODS):
            raise ConfigurationError(
                f"store must be a saga store (InMemorySagaStore, SqlSagaStore or another "
                f"SagaStoreProtocol), got {type(store).__name__}"
            )
        if command_bus is not None and not callable(getattr(command_bus, "dispatch", None)):
            raise ConfigurationError(
                f"command_bus must have an async dispatch(command) method, got {type(command_bus).__name__}"
            )
        if owner is not None and (not isinstance(owner, str) or not owner):
            raise ConfigurationError(f"owner must be a non-empty str or None, got {owner!r}")
        if (
            isinstance(claim_ttl, bool)
            or not isinstance(claim_ttl, (int, float))
            or not 0 < claim_ttl < math.inf
        ):
            raise ConfigurationError(f"claim_ttl must be a number of seconds > 0, got {claim_ttl!r}")
        if (
            isinstance(max_concurrent_resumes, bool)
            or not isinstance(max_concurrent_resumes, int)
            or (max_concurrent_resumes < 1)
        ):
            raise ConfigurationError(
                f"max_concurrent_resumes must be an integer >= 1, got {max_concurrent_resumes!r}"
            )
        self.store: Any = store if store is not None else InMemorySagaStore()
        self.services: Any = (
            SagaServices(services) if services is None or isinstance(services, Mapping) else services
        )
        self.command_bus = command_bus
        self._unresumable: set[str] = set()
        self.owner = owner or _default_owner()
        self.claim_ttl = float(claim_ttl)
        self._max_concurrent_resumes = max_concurrent_resumes
        self._orchestrated: dict[str, type[SagaBase]] = {}
        self._event_driven: dict[str, EventDrivenSaga] = {}
        self._plain: dict[str, tuple[Any, tuple[type, ...] | None]] = {}
        self._runs: dict[str, asyncio.Task[SagaRecord]] = {}
        self._instances = KeyedLocks()
        self._stopped = False

    # --- registration --------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The names of every registered saga."""
        return [*self._orchestrated, *self._event_driven, *self._plain]

    @property
    def routes_events(self) -> bool:
        """True when an event-driven saga is registered (so ``process`` has something to do)."""
        return bool(self._event_driven or self._plain)

    def register(self, saga: Any) -> Any:
        """Register a saga and return it (usable as a class decorator).

        ``saga`` is a ``SagaBase`` subclass (so ``start("name")`` and ``resume_incomplete`` know it),
        an ``EventDrivenSaga`` subclass or instance, or any object with ``async handle(event)``
        (a ``SagaProtocol``; its ``dispatch`` is bound to the command bus). A second saga under a
        taken name raises ``SagaDefinitionError``; registering the same one again does nothing.
        """
        if isinstance(saga, type) and issubclass(saga, SagaBase):
            saga.check_runnable()
            self._claim_name(saga.name, saga)
            self._orchestrated[saga.name] = saga
        elif isinstance(saga, type) and issubclass(saga, EventDrivenSaga):
            self._register_event_driven(saga())
        elif isinstance(saga, EventDrivenSaga):
            self._register_event_driven(saga)
        elif not isinstance(saga, type) and callable(getattr(saga, "handle", None)):
            name = getattr(saga, "name", None)
            name = name if isinstance(name, str) and name else type(saga).__name__
            if self._plain.get(name, (None,))[0] is saga:
                return saga
            self._claim_name(name, saga)
            try:
                saga.__dict__["_saga_dispatcher"] = self._dispatch
            except AttributeError:
                raise SagaValidationError(
                    f"{type(saga).__name__} keeps no __dict__ (slots), so its dispatch() cannot be bound; "
                    "return the commands from handle() instead of dispatching them"
                ) from None
            self._plain[name] = (saga, accepted_event_types(saga))
        else:
            raise SagaValidationError(
                "register() takes a SagaBase subclass, an EventDrivenSaga, or an object with "
                f"async handle(event), got {saga!r}"
            )
        return saga

    def _register_event_driven(self, saga: EventDrivenSaga) -> None:
        type(saga).check_runnable()
        if type(self._event_driven.get(saga.name)) is type(saga):
            return
        self._claim_name(saga.name, saga)
        self._event_driven[saga.name] = saga

    def _claim_name(self, name: str, saga: Any) -> None:
        existing = (
            self._orchestrated.get(name) or self._event_driven.get(name) or self._plain.get(name, (None,))[0]
        )
        if existing is None or existing is saga:
            return
        raise SagaDefinitionError(
            f"a saga named {name!r} is registered already ({existing!r}); give {saga!r} another name "
            "(class attribute `name`)"
        )

    def _resolve(self, saga: Any) -> type[SagaBase]:
        if isinstance(saga, str):
            found = self._orchestrated.get(saga)
            if found is None:
                known = ", ".join(sorted(self._orchestrated)) or "none"
                raise SagaNotFoundError(
                    f"no orchestrated saga is registered under the name {saga!r} (registered: {known}); "
                    "register the class with manager.register(SagaClass) or pass the class to start()"
                )
            return found
        if isinstance(saga, type) and issubclass(saga, SagaBase):
            self.register(saga)
            return saga
        raise SagaValidationError(
            f"start() takes a SagaBase subclass or the name of a registered one, got {saga!r}"
        )

    # --- orchestrated sagas --------------------------------------------------------------------

    async def start(
        self, saga: type[SagaBase] | str, data: Mapping[str, Any] | None = None, *, saga_id: str | None = None
    ) -> str:
        """Start a saga, run it to a final state and return its id.

        ``data`` (JSON values) becomes ``ctx.data``. ``saga_id`` chooses the id (default: a new
        UUID); an id in use raises ``SagaConcurrencyError``, which makes starts idempotent. A
        failed step does not raise: the saga is compensated and ``get(saga_id)`` tells how it ended.
        """
        self._refuse_when_stopped()
        saga_cls = self._resolve(saga)
        if data is not None and not isinstance(data, Mapping):
            raise SagaValidationError(f"data must be a mapping (a dict) or None, got {type(data).__name__}")
        initial = decode_data(encode_data(dict(data or {}), "the saga's data"))
        key = str(uuid.uuid4()) if saga_id is None else checked_saga_id(saga_id)
        record = await self.store.create(initial_record(saga_cls, key, initial, self.owner, self.claim_ttl))
        final = await self._drive(saga_cls, record)
        return final.saga_id

    async def get(self, saga_id: str) -> SagaRecord:
        """The saga's record: ``status``, ``data``, ``steps`` (in declaration order), ``error``..."""
        record: SagaRecord | None = await self.store.get(checked_saga_id(saga_id))
        if record is None:
            raise SagaNotFoundError(
                f"no saga has the id {saga_id!r}; use the id that start() returned "
                "(or the saga_id you gave it)"
            )
        return record

    async def resume_incomplete(self) -> list[str]:
        """Continue every orchestrated saga left unfinished whose claim is free or expired.

        Returns the ids of the sagas this call drove to a final state. Sagas claimed by a live
        manager, already driven here, or of a type not registered here are left alone (the last
        with a warning); a saga that fails to resume is logged and the others go on.
        """
        self._refuse_when_stopped()
        records: list[SagaRecord] = await self.store.list_incomplete()
        limit = asyncio.Semaphore(self._max_concurrent_resumes)
        resumed: list[str] = []

        async def resume(record: SagaRecord) -> None:
            saga_cls = self._orchestrated.get(record.saga_type)
            if saga_cls is None:
                if record.saga_type not in self._event_driven and record.saga_id not in self._unresumable:
                    self._unresumable.add(record.saga_id)  # said once, not at every look
                    logger.warning(
                        "saga %s is of the unregistered type %s and cannot be resumed here; register the "
                        "class with this manager",
                        record.saga_id,
                        record.saga_type,
                    )
                return
            if record.saga_id in self._runs or not self._claimable(record):
                return
            async with limit:
                claimed = await self._claim(record)
                if claimed is None:
                    return
                try:
                    await self._drive(saga_cls, claimed)
                except SagaConcurrencyError as exc:
                    logger.warning("saga %s was taken over while resuming: %s", record.saga_id, exc)
                    return
                resumed.append(record.saga_id)

        outcomes = await asyncio.gather(*(resume(record) for record in records), return_exceptions=True)
        for record, outcome in zip(records, outcomes, strict=True):
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
            if isinstance(outcome, BaseException):
                logger.error("saga %s could not be resumed: %s", record.saga_id, outcome, exc_info=outcome)
        return resumed

    def _claimable(self, record: SagaRecord) -> bool:
        if record.owner is None or record.owner == self.owner or record.lease_expires_at is None:
            return True
        return record.lease_expires_at <= utc_now()

    async def _claim(self, record: SagaRecord) -> SagaRecord | None:
        now = utc_now()
        claimed = record.evolve(
            owner=self.owner, lease_expires_at=now + timedelta(seconds=self.claim_ttl), updated_at=now
        )
        try:
            saved: SagaRecord = await self.store.save(claimed, record.version)
        except SagaConcurrencyError:
            return None
        return saved

    async def _drive(self, saga_cls: type[SagaBase], record: SagaRecord) -> SagaRecord:
        run = SagaRun(self.store, saga_cls, record, self.services, self.owner, self.claim_ttl, self._dispatch)
        task = asyncio.create_task(run.drive(), name=f"saga-{record.saga_id}")
        self._runs[record.saga_id] = task
        try:
            return await task
        finally:
            if self._runs.get(record.saga_id) is task:
                del self._runs[record.saga_id]

    # --- event-driven sagas --------------------------------------------------------------------

    async def process(self, event: Any) -> list[str]:
        """Hand ``event`` to every saga that handles it; return the names of those that did.

        Every saga gets the event even when another fails; then ``SagaExecutionError`` names the
        failed ones (their instances are unchanged, so processing the event again retries them).
        """
        if event is None:
            raise SagaValidationError("process() takes an event, got None")
        handled: list[str] = []
        failures: dict[str, BaseException] = {}
        for name, (saga, accepted) in list(self._plain.items()):
            if accepted is not None and not isinstance(event, accepted):
                continue
            try:
                await self._dispatch_all(command_list(await saga.handle(event)))
            except Exception as exc:
                failures[name] = exc
            else:
                handled.append(name)
        for name, driven in list(self._event_driven.items()):
            handler = driven.handler_for(event)
            if handler is None:
                continue
            try:
                if await self._route(driven, handler, event):
                    handled.append(name)
            except Exception as exc:
                failures[name] = exc
        if failures:
            raise SagaExecutionError(type(event).__name__, failures)
        return handled

    async def _route(self, saga: EventDrivenSaga, handler: SagaHandler, event: Any) -> bool:
        key = saga.correlation_key(event)
        if key is None:
            logger.debug("%s: %s carries no correlation key; ignored", saga.name, type(event).__name__)
            return False
        raw_id = getattr(event, "event_id", None)
        event_id = None if raw_id is None else str(raw_id)
        async with self._instances.hold((saga.name, key)):
            for _ in range(_ROUTE_ATTEMPTS):
                record: SagaRecord | None = await self.store.find(saga.name, key)
                if record is None:
                    if not handler.starts:
                        return False
                    now = utc_now()
                    record = SagaRecord(
                        saga_id=str(uuid.uuid4()),
                        saga_type=saga.name,
                        status=SagaState.RUNNING,
                        correlation_key=key,
                        created_at=now,
                        updated_at=now,
                    )
                elif record.is_final or _seen(record, event_id):
                    return False  # a late event for a finished instance, or one handled already
                ctx = SagaContext(
                    record.saga_id,
                    copy.deepcopy(record.data),
                    self.services,
                    saga.name,
                    handler.name,
                    self._dispatch,
                )
                commands = command_list(await handler.run(saga, event, ctx))
                encode_data(ctx.data, f"the data {saga.name}.{handler.name} left in ctx.data")
                status, error = SagaState.RUNNING, None
                if ctx.outcome is not None:
                    succeeded, error = ctx.outcome
                    status = SagaState.COMPLETED if succeeded else SagaState.FAILED
                step = SagaStepRecord(handler.name, SagaStepStatus.COMPLETED, attempts=1, event_id=event_id)
                updated = record.evolve(
                    data=ctx.data,
                    steps=(*record.steps, step),
                    status=status,
                    error=error,
                    updated_at=utc_now(),
                )
                await self._dispatch_all(commands)  # before saving: nothing is lost if the save fails
                try:
                    if record.version == 0:
                        await self.store.create(updated)
                    else:
                        await self.store.save(updated, record.version)
                except SagaConcurrencyError:
                    continue  # another process handled an event of this instance meanwhile: read it again
                return True
        raise SagaConcurrencyError(
            key,
            f"the {saga.name} instance correlated by '{key}' kept changing while {type(event).__name__} "
            f"was handled ({_ROUTE_ATTEMPTS} attempts); process the event again",
        )

    async def _dispatch(self, command: Any) -> Any:
        if self.command_bus is None:
            raise ConfigurationError(
                f"a saga dispatched {type(command).__name__}, but this SagaManager has no command bus; "
                "build it with SagaManager(command_bus=...)"
            )
        return await self.command_bus.dispatch(command)

    async def _dispatch_all(self, commands: list[Any]) -> None:
        for command in commands:
            await self._dispatch(command)

    # --- lifecycle -----------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop driving: cancel the sagas running here and release their claims. Idempotent.

        A stopped saga stays RUNNING (or COMPENSATING) in the store; ``resume_incomplete`` on any
        manager continues it. The store is not closed (its owner closes it).
        """
        self._stopped = True
        tasks = dict(self._runs)
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        for saga_id in tasks:
            await self._release(saga_id)

    async def _release(self, saga_id: str) -> None:
        try:
            record: SagaRecord | None = await self.store.get(saga_id)
            if record is not None and record.owner == self.owner and not record.is_final:
                await self.store.save(record.evolve(owner=None, lease_expires_at=None), record.version)
        except SagaError as exc:
            logger.warning("could not release the claim on saga %s: %s", saga_id, exc)
        except Exception as exc:  # the store's failure: the claim then simply expires
            logger.warning("could not release the claim on saga %s: %s", saga_id, exc)

    def _refuse_when_stopped(self) -> None:
        if self._stopped:
            raise SagaError("this SagaManager is stopped; build a new one to start or resume sagas")

    def health(self) -> dict[str, Any]:
        """The store, the registered sagas and how many run here now."""
        return {
            "status": "stopped" if self._stopped else "running",
            "store": type(self.store).__name__,
            "sagas": self.names,
            "running": len(self._runs),
        }


if TYPE_CHECKING:

    def _satisfies_the_protocol(manager: SagaManager) -> SagaManagerProtocol:
        return manager
