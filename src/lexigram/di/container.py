"""An async dependency-injection container with constructor injection by type annotation.

Register what the application is made of, then resolve it::

    container = Container()
    container.register_instance(EventsConfig, config)        # a ready object
    container.register_class(OrderRepository)                 # built once, on first resolve
    container.register_class(EventStoreProtocol, InMemoryEventStore)
    container.register_factory(Clock, make_clock)             # sync or async factory
    repository = await container.resolve(OrderRepository)

A class is built by resolving each ``__init__`` parameter from its annotation (string annotations
included). A parameter whose annotation is not registered keeps its default; ``X | None`` without a
default gets ``None``; anything else fails with a ``ResolutionError`` naming the class and the
parameter. Every registration is a singleton per container unless a factory says otherwise.
"""

from __future__ import annotations

import asyncio
import inspect
import types
import typing
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from lexigram.di.errors import CircularDependencyError, RegistrationError, ResolutionError, describe_token

__all__ = ["Container"]

T = TypeVar("T")
_MISSING = object()

# The tokens being built by the current task, innermost last, tagged with the container's id.
_building: ContextVar[tuple[tuple[int, Hashable], ...]] = ContextVar("lexigram_di_building", default=())


@dataclass(frozen=True, slots=True)
class _Binding:
    """How a token is provided."""

    kind: Literal["instance", "class", "factory"]
    target: Any
    singleton: bool = True

    def same_as(self, other: _Binding) -> bool:
        return self.kind == other.kind and self.target is other.target and self.singleton == other.singleton


def _probe() -> None:
    """A code object to evaluate one annotation in a function's globals."""


@dataclass(frozen=True, slots=True)
class _Unevaluable:
    """A string annotation that cannot be evaluated (e.g. a name imported only for type checkers)."""

    text: str
    module: str


def _evaluate(annotation: Any, globalns: dict[str, Any]) -> Any:
    """Evaluate one (possibly string) annotation; ``_Unevaluable`` when that fails."""
    if not isinstance(annotation, str):
        return annotation
    probe = types.FunctionType(_probe.__code__, globalns)
    probe.__annotations__ = {"value": annotation}
    try:
        return typing.get_type_hints(probe)["value"]
    except Exception:  # any failure to evaluate means "this annotation cannot be resolved"
        return _Unevaluable(annotation, str(globalns.get("__name__", "?")))


def _parameter_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The evaluated annotations of a function's parameters, by parameter name."""
    raw: dict[str, Any] = dict(getattr(function, "__annotations__", None) or {})
    globalns: dict[str, Any] = getattr(function, "__globals__", None) or {}
    return {name: _evaluate(annotation, globalns) for name, annotation in raw.items()}


def _candidates(annotation: Any) -> tuple[list[Any], bool]:
    """The tokens an annotation may be satisfied by, and whether it admits ``None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = typing.get_args(annotation)
        return [m for m in members if m is not type(None)], type(None) in members
    return [annotation], False


class Container:
    """Holds the application's objects and builds them on demand, injecting their dependencies.

    The container registers itself under ``Container``, so factories and classes may ask for it.
    Concurrent resolves of one singleton build it once; a dependency cycle raises
    ``CircularDependencyError`` instead of hanging.
    """

    def __init__(self) -> None:
        self._bindings: dict[Hashable, _Binding] = {}
        self._singletons: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._waiting_for: dict[Hashable, Hashable] = {}
        self.register_instance(Container, self)

    # -- registration -------------------------------------------------------------------------

    def register_instance(self, token: Hashable, instance: Any, *, replace: bool = False) -> None:
        """Provide ``instance`` itself for ``token``."""
        self._bind(token, _Binding("instance", instance), replace)
        self._singletons[token] = instance

    def register_class(self, token: Hashable, cls: type | None = None, *, replace: bool = False) -> None:
        """Provide a singleton of ``cls`` (``token`` itself when omitted), built on first resolve."""
        target = token if cls is None else cls
        if not isinstance(target, type):
            raise TypeError(f"register_class needs a class, got {target!r}")
        self._bind(token, _Binding("class", target), replace)

    def register_factory(
        self,
        token: Hashable,
        factory: Callable[..., Any],
        *,
        singleton: bool = True,
        replace: bool = False,
    ) -> None:
        """Provide the result of ``factory`` (sync or async), its parameters injected like ``__init__``.

        With ``singleton=False`` the factory runs on every resolve.
        """
        if not callable(factory):
            raise TypeError(f"register_factory needs a callable, got {factory!r}")
        self._bind(token, _Binding("factory", factory, singleton), replace)

    def has(self, token: Any) -> bool:
        """True when ``token`` is registered."""
        try:
            return token in self._bindings
        except TypeError:  # an unhashable annotation is never a token
            return False

    def _bind(self, token: Hashable, binding: _Binding, replace: bool) -> None:
        existing = self._bindings.get(token)
        if existing is not None and existing.same_as(binding):
            return
        if existing is not None and not replace:
            raise RegistrationError(
                f"{describe_token(token)} is already registered in the container; "
                "pass replace=True to override it"
            )
        self._bindings[token] = binding
        self._singletons.pop(token, None)

    # -- resolution ---------------------------------------------------------------------------

    @overload
    async def resolve(self, token: type[T]) -> T: ...
    @overload
    async def resolve(self, token: Hashable) -> Any: ...
    async def resolve(self, token: Any) -> Any:
        """Return the object registered for ``token``, building it (and its dependencies) if needed."""
        if token in self._singletons:
            return self._singletons[token]
        binding = self._bindings.get(token)
        if binding is None:
            raise ResolutionError(
                f"{describe_token(token)} is not registered in the container"
                f"{self._chain_text()}; list it in a module's providers or register it",
                token=token,
            )
        mine = self._my_chain()
        if token in mine:
            raise CircularDependencyError([*mine[mine.index(token) :], token])
        if not binding.singleton:
            return await self._create_in_chain(token, binding)
        return await self._resolve_singleton(token, binding, mine)

    async def _resolve_singleton(self, token: Hashable, binding: _Binding, mine: list[Hashable]) -> Any:
        parent = mine[-1] if mine else None
        lock = self._locks.setdefault(token, asyncio.Lock())
        if parent is not None:
            self._waiting_for[parent] = token
        try:
            if lock.locked():
                self._check_wait_cycle(token, mine)
            async with lock:
                if token in self._singletons:
                    return self._singletons[token]
                instance = await self._create_in_chain(token, binding)
                self._singletons[token] = instance
                return instance
        finally:
            if parent is not None:
                self._waiting_for.pop(parent, None)

    def _check_wait_cycle(self, token: Hashable, mine: list[Hashable]) -> None:
        """Another task builds ``token``; fail if that task is (transitively) waiting for us."""
        seen = [token]
        current: Hashable | None = self._waiting_for.get(token)
        while current is not None and current not in seen:
            if current in mine:
                raise CircularDependencyError([*mine[mine.index(current) :], *seen, current])
            seen.append(current)
            current = self._waiting_for.get(current)

    def _my_chain(self) -> list[Hashable]:
        return [token for owner, token in _building.get() if owner == id(self)]

    def _chain_text(self, at_least: int = 1) -> str:
        chain = self._my_chain()
        if len(chain) < at_least:
            return ""
        return " (while building " + " -> ".join(describe_token(t) for t in chain) + ")"

    async def _create_in_chain(self, token: Hashable, binding: _Binding) -> Any:
        reset = _building.set((*_building.get(), (id(self), token)))
        try:
            return await self._create(token, binding)
        finally:
            _building.reset(reset)

    async def _create(self, token: Hashable, binding: _Binding) -> Any:
        if binding.kind == "instance":
            return binding.target
        try:
            if binding.kind == "class":
                cls = binding.target
                args, kwargs = await self._arguments(cls.__init__, cls.__qualname__, skip_first=True)
                return cls(*args, **kwargs)
            factory = binding.target
            args, kwargs = await self._arguments(factory, describe_token(factory), skip_first=False)
            result = factory(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result
        except ResolutionError:
            raise
        except Exception as exc:  # user code failed: keep its exception, say what was being built
            exc.add_note(f"raised while the container was building {describe_token(token)}")
            raise

    async def _arguments(
        self, function: Callable[..., Any], owner: str, *, skip_first: bool
    ) -> tuple[list[Any], dict[str, Any]]:
        """Resolve the parameters of ``function`` from their annotations."""
        parameters = list(inspect.signature(function).parameters.values())
        if skip_first:
            parameters = parameters[1:]
        hints = _parameter_hints(function)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        positional_default_kept = False
        for parameter in parameters:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            value = await self._argument(parameter, hints.get(parameter.name, _MISSING), owner)
            if parameter.kind is parameter.POSITIONAL_ONLY:
                # once a positional-only default is kept, the later ones must keep theirs too
                positional_default_kept = positional_default_kept or value is _MISSING
                if not positional_default_kept:
                    args.append(value)
            elif value is not _MISSING:
                kwargs[parameter.name] = value
        return args, kwargs

    async def _argument(self, parameter: inspect.Parameter, annotation: Any, owner: str) -> Any:
        """The value for one parameter, or ``_MISSING`` to keep its default."""
        optional = False
        if annotation is not _MISSING and not isinstance(annotation, _Unevaluable):
            candidates, optional = _candidates(annotation)
            for candidate in candidates:
                if self.has(candidate):
                    return await self.resolve(candidate)
        if parameter.default is not parameter.empty:
            return _MISSING
        if optional:
            return None
        if annotation is _MISSING:
            problem = "has no type annotation"
        elif isinstance(annotation, _Unevaluable):
            problem = f"is annotated '{annotation.text}', which module {annotation.module} cannot evaluate"
        else:
            problem = f"needs {describe_token(annotation)}, which is not registered in the container"
        raise ResolutionError(
            f"cannot build {owner}: parameter '{parameter.name}' {problem}{self._chain_text(2)}; "
            "list its type in a module's providers or give the parameter a default",
            token=None if annotation is _MISSING or isinstance(annotation, _Unevaluable) else annotation,
            owner=owner,
            parameter=parameter.name,
        )
