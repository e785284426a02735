"""``AggregateRoot``: the consistency boundary of event sourcing.

An aggregate changes state only by applying events. ``_apply(event)`` calls the matching handler
method, ``_handle_<snake_case of the event class>``, then buffers the event until a repository
persists it::

    class Order(AggregateRoot):
        status: str = "draft"
        items: list[str] = Field(default_factory=list)

        def add_item(self, sku: str) -> None:
            if self.status != "draft":
                raise InvalidOperationError("Cannot modify non-draft order")
            self._apply(ItemAdded(order_id=self.id, sku=sku))

        def _handle_item_added(self, event: ItemAdded) -> None:
            self.items.append(event.sku)

The handler is looked up once per aggregate class and event class and then cached, so replaying
history costs a dictionary lookup and a call per event.

Recorded events are stamped: an event whose ``aggregate_id`` or ``aggregate_type`` is unset is
buffered as a copy carrying the aggregate's id and class name (and, after ``_set_context``, the
causation and correlation ids), so stores and projections know where it came from. The payload and
``event_id`` are unchanged, and the caller's object is never modified.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar

from lexigram.contracts.events.records import Snapshot
from lexigram.contracts.messages import DomainEvent
from lexigram.events.aggregates.entity import Entity
from lexigram.events.aggregates.naming import handler_names

__all__ = ["AggregateRoot", "new_aggregate"]

EventHandler = Callable[[Any, Any], Any]
TAggregate = TypeVar("TAggregate", bound="AggregateRoot")

_UNRESOLVED: Any = object()


class AggregateRoot(Entity):
    """Base class for event-sourced aggregates.

    ``AggregateRoot(id=None, **fields)``: without an id a ``uuid4`` is generated; keyword arguments
    set declared fields. A subclass may define its own ``__init__(self, order_id)`` that calls
    ``super().__init__(order_id)``.

    ``version`` is the number of events applied, history plus new ones; clearing the buffer never
    changes it. The framework's bookkeeping (version, pending events, context) lives in slots, so
    the instance ``__dict__`` holds exactly the aggregate's own state: ``id``, declared fields and
    whatever user code set. That dict is what snapshots capture.
    """

    __slots__ = (
        "_causation_id",
        "_correlation_id",
        "_pending_events",
        "_snapshot_taken_at",
        "_snapshot_version",
        "_version",
    )

    __event_handlers__: ClassVar[dict[type, EventHandler | None]] = {}

    _version: int
    _pending_events: list[Any]
    _causation_id: Any
    _correlation_id: Any
    _snapshot_version: int
    _snapshot_taken_at: datetime | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__event_handlers__ = {}

    def __init__(self, id: Any = None, **fields: Any) -> None:
        self._version = 0
        self._pending_events = []
        self._causation_id = None
        self._correlation_id = None
        self._snapshot_version = 0
        self._snapshot_taken_at = None
        super().__init__(id, **fields)

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(id={self.id!r}, version={self._version})"

    # --- version and buffer --------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The number of events applied to this aggregate, history plus new ones."""
        return self._version

    @property
    def has_uncommitted_events(self) -> bool:
        """True while events are buffered awaiting persistence."""
        return bool(self._pending_events)

    def add_event(self, event: Any) -> None:
        """Buffer an event and count it toward ``version``, without calling a handler.

        ``_check_invariants()`` runs first; if it raises, nothing is buffered.
        """
        event = self._stamp(event)
        self._check_invariants()
        self._pending_events.append(event)
        self._version += 1

    def pull_events(self) -> list[Any]:
        """Return a copy of the pending events without clearing them."""
        return list(self._pending_events)

    def get_pending_events(self) -> list[Any]:
        """Return a copy of the events pending persistence."""
        return list(self._pending_events)

    def clear_events(self) -> None:
        """Discard every buffered event (``version`` is unchanged)."""
        self._pending_events.clear()

    def clear_pending_events(self) -> None:
        """Clear the buffer after the events were persisted (``version`` is unchanged)."""
        self._pending_events.clear()

    def _check_invariants(self) -> None:
        """Raise when the aggregate's state breaks a business rule; called before each event is buffered.

        Override it. When ``_apply`` is used, the handler has already run, so the check sees the
        state the event produces.
        """

    # --- applying events -----------------------------------------------------------------------

    def _apply(self, event: Any) -> None:
        """Apply a new event: call its ``_handle_*`` method, then buffer it through ``add_event``."""
        event = self._stamp(event)
        handler = type(self).__event_handlers__.get(type(event), _UNRESOLVED)
        if handler is _UNRESOLVED:
            handler = type(self)._resolve_handler(type(event))
        if handler is not None:
            handler(self, event)
        self.add_event(event)

    def record_event(self, event: Any) -> None:
        """Apply a new event (the same as ``_apply``)."""
        self._apply(event)

    def load_from_history(self, events: Iterable[Any]) -> None:
        """Replay stored events through their handlers and add their number to ``version``.

        Nothing becomes pending.
        """
        if not isinstance(events, (list, tuple)):
            events = list(events)
        cls = type(self)
        handlers = cls.__event_handlers__
        last_type: type | None = None
        handler: EventHandler | None = None
        for event in events:
            event_type = type(event)
            if event_type is not last_type:  # runs of one event type skip the lookup
                handler = handlers.get(event_type, _UNRESOLVED)
                if handler is _UNRESOLVED:
                    handler = cls._resolve_handler(event_type)
                last_type = event_type
            if handler is not None:
                handler(self, event)
        self._version += len(events)

    def _set_context(self, causation_id: Any, correlation_id: Any = None) -> None:
        """Make events recorded from now on carry these ids (``correlation_id`` defaults to ``causation_id``).

        ``_set_context(None)`` stops stamping them.
        """
        self._causation_id = causation_id
        self._correlation_id = causation_id if correlation_id is None else correlation_id

    @classmethod
    def _resolve_handler(cls, event_type: type) -> EventHandler | None:
        handler: EventHandler | None = None
        for name in handler_names(event_type.__name__):
            candidate = getattr(cls, name, None)
            if callable(candidate):
                handler = candidate
                break
        cls.__event_handlers__[event_type] = handler
        return handler

    def _stamp(self, event: Any) -> Any:
        if not isinstance(event, DomainEvent):
            return event
        fields = event.__dict__
        changes: dict[str, Any] = {}
        if fields["aggregate_id"] is None:
            changes["aggregate_id"] = self.id
        if fields["aggregate_type"] is None:
            changes["aggregate_type"] = type(self).__name__
        if self._causation_id is not None:
            if fields["causation_id"] is None:
                changes["causation_id"] = self._causation_id
            if fields["correlation_id"] is None:
                changes["correlation_id"] = self._correlation_id
        return event._replace(**changes) if changes else event

    # --- snapshots -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return a deep copy of the aggregate's state: ``id``, declared fields and attributes user code set.

        Private (``_name``) attributes are included; the framework's bookkeeping is not.
        """
        return copy.deepcopy(self.__dict__)

    def create_snapshot(self) -> Snapshot:
        """Capture the current state and version as a ``Snapshot``, with the state's fingerprint."""
        from lexigram.events.snapshots.fingerprint import FINGERPRINT_KEY, state_fingerprint  # a cycle

        return Snapshot(
            aggregate_id=self.id,
            aggregate_type=type(self).__name__,
            version=self._version,
            state=self.to_dict(),
            metadata={FINGERPRINT_KEY: state_fingerprint(type(self))},
        )

    def load_from_snapshot(self, snapshot: Snapshot, *, copy_state: bool = True) -> None:
        """Restore the attributes and ``version`` captured in a snapshot.

        The state is deep-copied first, so the aggregate never shares mutable values with the
        snapshot. Pass ``copy_state=False`` when the snapshot is yours alone, as one just loaded
        from a snapshot store is (stores return a fresh copy on every read), to skip that copy.
        """
        self._restore(snapshot.state, snapshot.version, snapshot.timestamp, copy_state=copy_state)

    @classmethod
    def from_snapshot(
        cls, snapshot_or_state: Snapshot | dict[str, Any], *, version: int | None = None
    ) -> Self:
        """Build an aggregate from a ``Snapshot``, or from a state dict (``version`` then defaults to 0)."""
        if isinstance(snapshot_or_state, Snapshot):
            state, taken_at = snapshot_or_state.state, snapshot_or_state.timestamp
            aggregate_id = state.get("id", snapshot_or_state.aggregate_id)
            restored_version = snapshot_or_state.version if version is None else version
        elif isinstance(snapshot_or_state, dict):
            state, taken_at = snapshot_or_state, None
            aggregate_id = state.get("id")
            restored_version = 0 if version is None else version
        else:
            raise TypeError(
                f"{cls.__qualname__}.from_snapshot() expects a Snapshot or a state dict, "
                f"got {type(snapshot_or_state).__name__}"
            )
        aggregate = new_aggregate(cls, aggregate_id)
        aggregate._restore(state, restored_version, taken_at)
        return aggregate

    def _restore(
        self, state: dict[str, Any], version: int, taken_at: datetime | None, *, copy_state: bool = True
    ) -> None:
        for name, value in (copy.deepcopy(state) if copy_state else state).items():
            setattr(self, name, value)
        self._version = version
        self._snapshot_version = version
        self._snapshot_taken_at = taken_at


# --- building blank instances for rehydration ---------------------------------------------------

_ONE_ARGUMENT, _NO_ARGUMENT, _BYPASS_INIT = "one-argument", "no-argument", "bypass-init"
_construction: dict[type, str] = {}


def _construction_of(cls: type[AggregateRoot]) -> str:
    strategy = _construction.get(cls)
    if strategy is not None:
        return strategy
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        strategy = _BYPASS_INIT
    else:
        strategy = _BYPASS_INIT
        for candidate, arguments in ((_ONE_ARGUMENT, ("id",)), (_NO_ARGUMENT, ())):
            try:
                signature.bind(*arguments)
            except TypeError:
                continue
            strategy = candidate
            break
    _construction[cls] = strategy
    return strategy


def new_aggregate(cls: type[TAggregate], aggregate_id: Any) -> TAggregate:
    """Build an empty aggregate of ``cls`` with this id, ready to load a snapshot and history.

    It uses the first constructor form that fits: ``cls(aggregate_id)``, then ``cls()``, then an
    instance made without calling the subclass ``__init__``. The id always equals ``aggregate_id``
    and nothing is pending, even if the constructor recorded events.
    """
    strategy = _construction_of(cls)
    if strategy == _ONE_ARGUMENT:
        aggregate = cls(aggregate_id)
    elif strategy == _NO_ARGUMENT:
        aggregate = cls()
    else:
        aggregate = cls.__new__(cls)
        AggregateRoot.__init__(aggregate, aggregate_id)
    aggregate.id = aggregate_id
    if aggregate._pending_events:
        aggregate._pending_events.clear()
        aggregate._version = 0
    return aggregate
