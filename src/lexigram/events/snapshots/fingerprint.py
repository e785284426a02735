"""The fingerprint of an aggregate's state schema, recorded with each snapshot.

A snapshot holds an aggregate's attributes as they were when it was taken. Once the aggregate
class changes (a field renamed, a type changed) an old snapshot would restore a state the code no
longer expects. So ``EventSourcingRepository`` records ``state_fingerprint(cls)`` in
``Snapshot.metadata["state_fingerprint"]`` and ignores a snapshot whose fingerprint differs: it
replays the events instead and writes a fresh snapshot.

The fingerprint is a hash of the state attributes the class declares (annotated attributes,
inherited ones included, ``ClassVar`` excluded) with their annotated types, computed once per
class. Attributes that ``__init__`` sets without an annotation are invisible to it: when you
change those, bump ``__snapshot_version__`` (any value) on the class to invalidate old snapshots.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import typing
from typing import Any

from lexigram.contracts.events.records import Snapshot
from lexigram.events.aggregates.aggregate import AggregateRoot

__all__ = ["FINGERPRINT_KEY", "snapshot_fingerprint", "state_fingerprint", "with_fingerprint"]

FINGERPRINT_KEY = "state_fingerprint"
"""The ``Snapshot.metadata`` key holding the fingerprint."""

_FINGERPRINTS: dict[type, str] = {}
_FRAMEWORK = frozenset(vars(AggregateRoot)) | {"id"}


def state_fingerprint(aggregate_class: type[AggregateRoot]) -> str:
    """A short hash of the class's declared state attributes and their types (cached per class)."""
    cached = _FINGERPRINTS.get(aggregate_class)
    if cached is not None:
        return cached
    if not (isinstance(aggregate_class, type) and issubclass(aggregate_class, AggregateRoot)):
        raise TypeError(f"state_fingerprint needs an AggregateRoot subclass, got {aggregate_class!r}")
    fields: dict[str, str] = {}
    for klass in reversed(aggregate_class.__mro__):
        if not (issubclass(klass, AggregateRoot) and klass is not AggregateRoot):
            continue
        slots = klass.__dict__.get("__slots__", ())
        for name, annotation in inspect.get_annotations(klass).items():
            if name.startswith("__") or name in _FRAMEWORK or name in slots or _is_classvar(annotation):
                continue
            fields[name] = _annotation_text(annotation)
    parts = [f"{name}:{fields[name]}" for name in sorted(fields)]
    bump = getattr(aggregate_class, "__snapshot_version__", None)
    if bump is not None:
        parts.append(f"__snapshot_version__:{bump!r}")
    digest = hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]
    _FINGERPRINTS[aggregate_class] = digest
    return digest


def with_fingerprint(snapshot: Snapshot, aggregate_class: type[AggregateRoot]) -> Snapshot:
    """Record the class's fingerprint in ``snapshot.metadata`` (in place) and return the snapshot."""
    snapshot.metadata[FINGERPRINT_KEY] = state_fingerprint(aggregate_class)
    return snapshot


def snapshot_fingerprint(snapshot: Snapshot) -> str | None:
    """The fingerprint a snapshot was taken with, or None (a snapshot taken without one)."""
    metadata = snapshot.metadata if isinstance(snapshot.metadata, dict) else {}
    value = metadata.get(FINGERPRINT_KEY)
    return value if isinstance(value, str) else None


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.replace("typing.", "").startswith("ClassVar")
    return annotation is typing.ClassVar or typing.get_origin(annotation) is typing.ClassVar


def _annotation_text(annotation: Any) -> str:
    """The annotation as source-like text, the same whether or not annotations are postponed."""
    if isinstance(annotation, str):
        text = annotation
    elif isinstance(annotation, type) and not typing.get_args(annotation):
        text = annotation.__qualname__
    else:
        text = repr(annotation)
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    text = re.sub(r"\b(?:typing|collections\.abc|builtins)\.", "", text)
    text = re.sub(r"\b(?:[a-z_][\w]*\.)+([A-Z]\w*)", r"\1", text)
    return re.sub(r"\s+", "", text)
