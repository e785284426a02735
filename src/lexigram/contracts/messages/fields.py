"""Declared fields of message classes."""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["MISSING", "FieldSpec", "is_classvar", "resolve_annotation"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Marks a field without a default."""


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One declared field of a message class."""

    name: str
    annotation: Any
    owner: type
    default: Any = MISSING
    default_factory: Callable[[], Any] | None = None
    base: bool = False

    @property
    def required(self) -> bool:
        """True when the field has neither a default nor a default factory."""
        return self.default is MISSING and self.default_factory is None


def is_classvar(annotation: Any) -> bool:
    """True for ``ClassVar`` annotations, which declare class attributes rather than fields."""
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def resolve_annotation(spec: FieldSpec) -> Any:
    """The field's annotation as an object; a string is evaluated in the class's module.

    An annotation that cannot be evaluated (a name imported only for type checkers, say) resolves
    to ``Any``: the field is then not type-checked.
    """
    annotation = spec.annotation
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(spec.owner.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    try:
        return eval(annotation, namespace, dict(vars(spec.owner)))
    except Exception:
        return Any
