"""Compiling modules into one graph: every module once, imports first, providers collected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lexigram.contracts.exceptions import ConfigurationError
from lexigram.di.errors import ModuleDuplicateError
from lexigram.di.module import DynamicModule, Module, ModuleRef
from lexigram.di.provider import Provider

__all__ = ["ModuleGraph", "compile_modules"]


@dataclass(frozen=True, slots=True)
class ModuleGraph:
    """The compiled modules of one application.

    ``modules`` lists every module once, each after the modules it imports. ``classes`` are the
    injectable classes to register in the container, ``lifecycle_providers`` the providers to
    register, boot and shut down (in graph order; the application sorts them by priority).
    """

    modules: tuple[ModuleRef, ...]
    classes: tuple[type, ...]
    lifecycle_providers: tuple[Provider, ...]

    def contributions(self, point: str) -> list[Any]:
        """Every item that dynamic modules contributed to ``point``, in graph order, each once."""
        items: list[Any] = []
        for entry in self.modules:
            if isinstance(entry, DynamicModule):
                items.extend(item for item in entry.contributions.get(point, ()) if item not in items)
        return items


class _Compiler:
    """Walks the imports depth-first and collects what the modules provide."""

    def __init__(self) -> None:
        self.modules: list[ModuleRef] = []
        self.classes: list[type] = []
        self.lifecycle: list[Provider] = []
        self._seen: set[ModuleRef] = set()
        self._provider_classes: set[type[Provider]] = set()
        self._unique: dict[type[Module], DynamicModule] = {}

    def visit(self, entry: Any) -> None:
        if entry in self._seen:
            return
        self._seen.add(entry)
        if isinstance(entry, DynamicModule):
            self._check_unique(entry)
            imports, providers = entry.imports, entry.providers
        elif isinstance(entry, type) and issubclass(entry, Module):
            metadata = entry.module_metadata()
            if metadata is None:
                name = entry.__qualname__
                hint = (
                    f"import one of its dynamic modules, such as {name}.configure()"
                    if callable(getattr(entry, "configure", None))
                    else "decorate it with @module(...)"
                )
                raise ConfigurationError(f"{name} has no module metadata: {hint}")
            imports, providers = metadata.imports, metadata.providers
        else:
            raise ConfigurationError(f"expected a Module subclass or a DynamicModule, got {entry!r}")
        for imported in imports:
            self.visit(imported)
        self.add_providers(providers)
        if isinstance(entry, DynamicModule) and entry.lifecycle is not None:
            self.lifecycle.append(entry.lifecycle())
        self.modules.append(entry)

    def add_providers(self, providers: Iterable[Any]) -> None:
        for provider in providers:
            if isinstance(provider, Provider):
                if provider not in self.lifecycle:
                    self.lifecycle.append(provider)
            elif isinstance(provider, type) and issubclass(provider, Provider):
                if provider not in self._provider_classes:
                    self._provider_classes.add(provider)
                    self.lifecycle.append(provider())
            elif isinstance(provider, type):
                if provider not in self.classes:
                    self.classes.append(provider)
            else:
                raise ConfigurationError(f"providers must be classes or Provider instances, got {provider!r}")

    def _check_unique(self, entry: DynamicModule) -> None:
        if not entry.unique:
            return
        first = self._unique.setdefault(entry.module, entry)
        if first is not entry:
            raise ModuleDuplicateError(
                f"{entry.name} is configured twice in one application; import one configured "
                f"{entry.name} (e.g. in the root module) and let feature modules import that same "
                "object or a non-unique form such as scope()"
            )


def compile_modules(modules: Iterable[Any], providers: Iterable[Any] = ()) -> ModuleGraph:
    """Compile root modules (and application-level providers) into a ``ModuleGraph``.

    The same module or dynamic module imported several times counts once; import cycles are
    harmless. A module class without ``@module`` metadata, or two different ``unique`` dynamic
    modules of one module class, raise ``ConfigurationError``.
    """
    compiler = _Compiler()
    for entry in modules:
        compiler.visit(entry)
    compiler.add_providers(providers)
    return ModuleGraph(
        modules=tuple(compiler.modules),
        classes=tuple(compiler.classes),
        lifecycle_providers=tuple(compiler.lifecycle),
    )
