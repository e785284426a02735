"""Modules: how an application declares what it is made of.

A module is a ``Module`` subclass decorated with ``@module``. It imports other modules, lists the
classes it provides (app-wide singletons built by the container) and may export some of them::

    @module(imports=[EventsModule.configure()], providers=[OrderRepository, OrderReadModel])
    class OrdersModule(Module):
        pass

A ``DynamicModule`` is a module built by a function, such as ``EventsModule.configure(config)``. It
can carry providers, a lifecycle provider (built afresh for each application) and contributions:
named lists that a lifecycle provider collects from the whole module graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias, TypeVar

from lexigram.di.provider import Provider

__all__ = ["DynamicModule", "Module", "ModuleMetadata", "ModuleRef", "module"]

M = TypeVar("M", bound="type[Module]")


class Module:
    """Base class of application modules; ``@module(...)`` gives a subclass its metadata."""

    __lexigram_module__: ClassVar[ModuleMetadata | None] = None

    @classmethod
    def module_metadata(cls) -> ModuleMetadata | None:
        """The metadata ``@module`` attached to this very class (not inherited), or None."""
        metadata = vars(cls).get("__lexigram_module__")
        return metadata if isinstance(metadata, ModuleMetadata) else None


def _check_imports(owner: str, imports: Iterable[Any]) -> tuple[ModuleRef, ...]:
    checked: list[ModuleRef] = []
    for entry in imports:
        if isinstance(entry, DynamicModule) or (isinstance(entry, type) and issubclass(entry, Module)):
            checked.append(entry)
        else:
            raise TypeError(f"{owner}: imports must be Module subclasses or DynamicModules, got {entry!r}")
    return tuple(checked)


def _check_providers(owner: str, providers: Iterable[Any]) -> tuple[Any, ...]:
    checked: list[Any] = []
    for entry in providers:
        if isinstance(entry, type | Provider):
            checked.append(entry)
        else:
            raise TypeError(f"{owner}: providers must be classes or Provider instances, got {entry!r}")
    return tuple(checked)


@dataclass(frozen=True, slots=True)
class ModuleMetadata:
    """What ``@module`` recorded: imports, providers, exports and whether the module is global.

    All providers are app-wide; ``exports`` and ``is_global`` are recorded for tooling and
    documentation and do not restrict visibility.
    """

    imports: tuple[ModuleRef, ...] = ()
    providers: tuple[Any, ...] = ()
    exports: tuple[Any, ...] = ()
    is_global: bool = False


def module(
    *,
    imports: Iterable[ModuleRef] | None = None,
    providers: Iterable[Any] | None = None,
    exports: Iterable[Any] | None = None,
    is_global: bool = False,
) -> Callable[[M], M]:
    """Declare a ``Module`` subclass: the modules it imports and the classes it provides.

    ``providers`` holds classes (app-wide singletons, injectable by type) and lifecycle providers
    (``Provider`` subclasses, built once per application, or ``Provider`` instances).
    """

    def decorate(cls: M) -> M:
        if not (isinstance(cls, type) and issubclass(cls, Module)):
            raise TypeError(f"@module decorates a subclass of Module, got {cls!r}")
        owner = f"@module on {cls.__qualname__}"
        cls.__lexigram_module__ = ModuleMetadata(
            imports=_check_imports(owner, imports or ()),
            providers=_check_providers(owner, providers or ()),
            exports=tuple(exports or ()),
            is_global=is_global,
        )
        return cls

    return decorate


@dataclass(frozen=True, eq=False, slots=True)
class DynamicModule:
    """A module built at runtime, e.g. by ``EventsModule.configure(config)``.

    ``lifecycle`` builds the module's lifecycle provider, once for each application that imports
    it. ``contributions`` maps an extension-point name to items that a lifecycle provider collects
    from the whole graph (``ModuleGraph.contributions``). With ``unique=True`` at most one such
    dynamic module of ``module`` may be in a graph (two ``configure()`` calls would conflict);
    otherwise any number may coexist. Importing the same object twice counts once.
    """

    module: type[Module]
    providers: Sequence[Any] = ()
    imports: Sequence[ModuleRef] = ()
    exports: Sequence[Any] = ()
    lifecycle: Callable[[], Provider] | None = None
    contributions: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    unique: bool = False
    is_global: bool = False

    def __post_init__(self) -> None:
        owner = f"DynamicModule of {getattr(self.module, '__qualname__', self.module)!r}"
        if not (isinstance(self.module, type) and issubclass(self.module, Module)):
            raise TypeError(f"{owner}: module must be a Module subclass")
        object.__setattr__(self, "providers", _check_providers(owner, self.providers))
        object.__setattr__(self, "imports", _check_imports(owner, self.imports))
        object.__setattr__(self, "exports", tuple(self.exports))
        object.__setattr__(
            self, "contributions", {point: tuple(items) for point, items in self.contributions.items()}
        )

    @property
    def name(self) -> str:
        """The name of the module class this dynamic module configures."""
        return self.module.__qualname__


ModuleRef: TypeAlias = type[Module] | DynamicModule
"""What ``imports`` and ``Application.boot(modules=...)`` accept."""
