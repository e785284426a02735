"""``EventSchema``: the JSON Schema of one event class at its current version.

The schema is generated from the class's declared fields by pydantic (never written by hand): a
pydantic model with the same fields, types and defaults is built once per class, and its
serialization-mode JSON Schema describes exactly what ``to_dict()`` writes (UUIDs and datetimes
as formatted strings, Decimals as strings, enums as their values). The same model checks stored
documents: ``problems(document)`` lists what does not fit, which ``lexigram-events schema verify``
uses to catch an upcaster that produces the wrong shape.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic

from lexigram.contracts.messages import DomainEvent
from lexigram.contracts.messages.fields import resolve_annotation
from lexigram.events.schema.versions import current_schema_version

__all__ = ["EventSchema"]

_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class EventSchema:
    """The shape of one event type at one version: its class, JSON Schema and validator."""

    event_type: str
    version: int
    event_class: type[DomainEvent]
    json_schema: dict[str, Any] = field(repr=False, compare=False)
    _model: type[pydantic.BaseModel] = field(repr=False, compare=False)

    @classmethod
    def of(cls, event_class: type[DomainEvent], event_type: str | None = None) -> EventSchema:
        """The schema of ``event_class`` (stored under ``event_type``, default its class name)."""
        if not (isinstance(event_class, type) and issubclass(event_class, DomainEvent)):
            raise TypeError(f"EventSchema.of needs a DomainEvent subclass, got {event_class!r}")
        name = event_type if event_type is not None else event_class.__name__
        if not isinstance(name, str) or not name:
            raise ValueError("an event type name must be a non-empty string")
        model = _model_of(event_class)
        json_schema = model.model_json_schema(mode="serialization")
        json_schema["title"] = name
        json_schema["x-schema-version"] = current_schema_version(event_class)
        return cls(name, current_schema_version(event_class), event_class, json_schema, model)

    def problems(self, document: Any) -> list[str]:
        """What in a stored document does not fit this schema ([] when it fits).

        Unknown keys are problems, unless the class takes free-form payload (declares no fields).
        """
        if not isinstance(document, dict):
            return [f"a stored {self.event_type} must be a JSON object, got {type(document).__name__}"]
        try:
            self._model.model_validate(document)
        except pydantic.ValidationError as exc:
            return [
                f"{'.'.join(str(part) for part in error['loc']) or '(document)'}: {error['msg']}"
                for error in exc.errors()
            ]
        return []


def _model_of(event_class: type[DomainEvent]) -> type[pydantic.BaseModel]:
    cached: type[pydantic.BaseModel] | None = event_class.__dict__.get("__lexigram_schema_model__")
    if cached is not None:
        return cached
    with _lock:
        definitions: dict[str, Any] = {}
        for name, spec in event_class.__message_fields__.items():
            annotation = _supported(resolve_annotation(spec))
            if spec.default_factory is not None:
                definitions[name] = (annotation, pydantic.Field(default_factory=spec.default_factory))
            elif spec.required:
                definitions[name] = (annotation, ...)
            else:
                definitions[name] = (annotation, spec.default)
        extra: Literal["allow", "forbid"] = "allow" if event_class.__free_form__ else "forbid"
        model: type[pydantic.BaseModel] = pydantic.create_model(
            event_class.__name__,
            __config__=pydantic.ConfigDict(extra=extra, arbitrary_types_allowed=False),
            **definitions,
        )
        type.__setattr__(event_class, "__lexigram_schema_model__", model)
        return model


def _supported(annotation: Any) -> Any:
    """The annotation when pydantic can describe it, else ``Any`` (the field is then unchecked)."""
    try:
        pydantic.TypeAdapter(annotation).json_schema(mode="serialization")
    except Exception:  # any type pydantic cannot describe is left unchecked, as messages do
        return Any
    return annotation
