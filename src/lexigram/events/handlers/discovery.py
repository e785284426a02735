"""Importing a module (and, for a package, its submodules) and finding the handlers in it."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

from lexigram.events.handlers.inspection import HandlerSpec, discoverable_spec

__all__ = ["find_handlers", "import_modules"]


def import_modules(module_path: str, recursive: bool = True) -> Iterator[ModuleType]:
    """Import ``module_path`` and, when it is a package and ``recursive``, every submodule.

    Modules come in name order, a package before its contents. A module that does not exist or
    fails to import raises (``ImportError`` for a missing one): nothing is skipped silently.
    """
    if not isinstance(module_path, str) or not module_path:
        raise TypeError(f"discover needs a dotted module path, got {module_path!r}")
    root = importlib.import_module(module_path)
    yield root
    search_path = getattr(root, "__path__", None)
    if not recursive or search_path is None:
        return
    for info in sorted(pkgutil.iter_modules(search_path), key=lambda info: info.name):
        yield from import_modules(f"{root.__name__}.{info.name}", recursive=True)


def find_handlers(module: ModuleType) -> list[HandlerSpec]:
    """The handlers defined in ``module``: decorated objects and handler base-class subclasses."""
    found: list[HandlerSpec] = []
    seen: set[int] = set()
    for candidate in list(vars(module).values()):
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        spec = discoverable_spec(candidate, module.__name__)
        if spec is not None:
            found.append(spec)
    return found
