"""A registered projection: whatever shape the user wrote, seen through one fixed interface.

Accepted shapes (all inspected once, at registration):

* ``apply(event)`` (sync or async) or ``async handle_event(event)``;
* the same with a second parameter, ``apply(event, session)``: the projection writes its read
  model through the checkpoint store's SQL session, and each batch commits with the checkpoint;
* ``apply_batch(events, session)`` (sync or async): the whole batch at once, for bulk writes.

Optional attributes: ``name`` (default: the class name), ``handles`` (classes or type names;
default: the annotation of the event parameter, all events when absent, ``Any`` or
``DomainEvent``), ``reset()`` or ``reset(session)``, ``error_policy`` (an ``ErrorPolicy`` or a
method ``error_policy(event, error)`` returning one), ``version`` (an int, default 1),
``activate()`` or ``activate(session)`` (called once a fresh build has caught up: switch readers
to it), ``replay_on_start = True`` (a read model kept in process memory: replay the log at every
start instead of resuming from a checkpoint).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any

from lexigram.contracts.events.projections import ProjectionProtocol
from lexigram.contracts.events.subscriptions import ReadModelSessionProtocol
from lexigram.contracts.messages import DomainEvent
from lexigram.events.exceptions import ProjectionBuildError
from lexigram.events.projections.policies import ErrorPolicy

__all__ = ["RegisteredProjection"]

Session = ReadModelSessionProtocol | None


def _positional_count(function: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return 2
    return sum(1 for p in parameters if p.kind in kinds)


def _is_async(function: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(function):
        return True
    return inspect.iscoroutinefunction(type(function).__call__)  # an object with an async __call__


def _annotated_classes(function: Callable[..., Any]) -> tuple[type, ...] | None:
    """The event classes named by the annotation of the first parameter (None: every event)."""
    try:
        hints = typing.get_type_hints(function)
        first = next(iter(inspect.signature(function).parameters))
    except Exception:
        return None
    annotation = hints.get(first)
    if annotation is None or annotation is Any:
        return None
    options = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, _UnionType)
        else (annotation,)
    )
    classes = tuple(option for option in options if isinstance(option, type))
    if not classes or any(cls is DomainEvent or cls is object for cls in classes):
        return None
    return classes


_UnionType = type(int | str)


def _own_method(projection: Any, name: str) -> Callable[..., Any] | None:
    """The projection's method ``name``, unless it is only the stub inherited from ``ProjectionProtocol``."""
    if getattr(type(projection), name, None) is getattr(ProjectionProtocol, name, object()):
        return None
    method = getattr(projection, name, None)
    return method if callable(method) else None


class RegisteredProjection:
    """One projection as the manager drives it; built once by ``ProjectionManager.register``."""

    def __init__(
        self,
        projection: Any,
        *,
        name: str | None = None,
        error_policy: ErrorPolicy | None = None,
    ) -> None:
        self.target = projection
        chosen = name if name is not None else getattr(projection, "name", None)
        if chosen is None or not isinstance(chosen, str):
            chosen = type(projection).__name__
        if not chosen.strip():
            raise ValueError("a projection name must not be empty")
        self.name: str = chosen
        version = getattr(projection, "version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"projection {self.name!r}: version must be an int >= 1, got {version!r}")
        self.version: int = version
        self._batch: Callable[..., Any] | None = getattr(projection, "apply_batch", None)
        single = _own_method(projection, "apply") or _own_method(projection, "handle_event")
        if not callable(single) and not callable(self._batch):
            raise TypeError(
                f"{type(projection).__name__} is not a projection: give it an apply(event), "
                "async handle_event(event) or apply_batch(events, session) method"
            )
        self._single: Callable[..., Any] | None = single if callable(single) else None
        shape = self._batch if callable(self._batch) else self._single
        assert shape is not None
        self.transactional: bool = _positional_count(shape) >= 2
        self._single_async = self._single is not None and _is_async(self._single)
        self._batch_async = self._batch is not None and _is_async(self._batch)
        self._handled_names: frozenset[str] = frozenset()
        self._handled_classes: tuple[type, ...] | None = None
        self._accepts: dict[type, bool] = {}
        self._set_handles(getattr(projection, "handles", None), shape)
        policy = error_policy if error_policy is not None else getattr(projection, "error_policy", None)
        if policy is not None and not isinstance(policy, ErrorPolicy) and not callable(policy):
            raise TypeError(
                f"projection {self.name!r}: error_policy must be an ErrorPolicy or a method returning one"
            )
        self._policy: ErrorPolicy | Callable[..., Any] | None = policy
        reset = getattr(projection, "reset", None)
        self._reset: Callable[..., Any] | None = reset if callable(reset) else None

    # --- which events ---------------------------------------------------------------------------

    def _set_handles(self, declared: Any, shape: Callable[..., Any]) -> None:
        if declared is None:
            self._handled_classes = None if shape is self._batch else _annotated_classes(shape)
            return
        if isinstance(declared, (str, type)):
            declared = [declared]
        if not isinstance(declared, Iterable):
            raise TypeError(f"projection {self.name!r}: handles must be a set of event classes or type names")
        names: set[str] = set()
        classes: list[type] = []
        for item in declared:
            if isinstance(item, type):
                classes.append(item)
            elif isinstance(item, str) and item:
                names.add(item)
            else:
                raise TypeError(f"projection {self.name!r}: handles holds {item!r}, not a class or type name")
        self._handled_names = frozenset(names)
        self._handled_classes = tuple(classes)

    @property
    def handles_everything(self) -> bool:
        """True when the projection sees every event."""
        return self._handled_classes is None

    def accepts(self, event: Any) -> bool:
        """Whether the projection handles this event (decided once per event class)."""
        if self._handled_classes is None:
            return True
        cls = type(event)
        known = self._accepts.get(cls)
        if known is None:
            known = (
                issubclass(cls, self._handled_classes)
                or cls.__name__ in self._handled_names
                or getattr(event, "event_type", None) in self._handled_names
            )
            self._accepts[cls] = known
        return known

    # --- applying ---------------------------------------------------------------------------------

    @property
    def has_batch(self) -> bool:
        """True when the projection applies whole batches (``apply_batch``)."""
        return self._batch is not None

    async def apply_one(self, event: Any, session: Session = None) -> None:
        """Apply one event through ``apply``/``handle_event`` (with the session when it takes one)."""
        single = self._single
        if single is None:
            await self.apply_events([event], session)
            return
        result = single(event, session) if self.transactional else single(event)
        if self._single_async or inspect.isawaitable(result):
            await result

    async def apply_events(self, events: list[Any], session: Session) -> None:
        """Apply events the projection accepts, in order (through ``apply_batch`` when it has one)."""
        if self._batch is not None:
            if not events:
                return
            result = self._batch(events, session) if self.transactional else self._batch(events)
            if self._batch_async or inspect.isawaitable(result):
                await result
            return
        single = self._single
        assert single is not None
        if self.transactional:
            if self._single_async:
                for event in events:
                    await single(event, session)
            else:
                for event in events:
                    result = single(event, session)
                    if inspect.isawaitable(result):
                        await result
        elif self._single_async:
            for event in events:
                await single(event)
        else:
            for event in events:
                result = single(event)
                if inspect.isawaitable(result):
                    await result

    async def reset(self, session: Session) -> None:
        """Call the projection's ``reset`` (with the session when it takes one)."""
        if self._reset is None:
            return
        result = self._reset(session) if _positional_count(self._reset) >= 1 else self._reset()
        if inspect.isawaitable(result):
            await result

    def policy_for(self, event: Any, error: BaseException, default: ErrorPolicy) -> ErrorPolicy:
        """The error policy for this failure."""
        policy = self._policy
        if policy is None:
            return default
        if isinstance(policy, ErrorPolicy):
            return policy
        chosen = policy(event, error)
        if not isinstance(chosen, ErrorPolicy):
            raise ProjectionBuildError(
                f"projection {self.name!r}: error_policy(event, error) returned {chosen!r}, "
                "not an ErrorPolicy"
            )
        return chosen
