"""Which method of an aggregate handles an event: the ``_handle_<snake_case>`` convention."""

from __future__ import annotations

import re

__all__ = ["handler_names", "snake_case"]

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_EVENT_SUFFIX = "Event"


def snake_case(name: str) -> str:
    """Convert a class name to snake_case: ``HTTPRequestSent`` becomes ``http_request_sent``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def handler_names(event_class_name: str) -> tuple[str, ...]:
    """The handler method names to try for an event class, in order.

    First the snake_case of the name with one trailing ``Event`` removed (``ItemAddedEvent`` and
    ``ItemAdded`` both give ``_handle_item_added``), then the snake_case of the full name.
    """
    names: list[str] = []
    if event_class_name.endswith(_EVENT_SUFFIX) and len(event_class_name) > len(_EVENT_SUFFIX):
        names.append(f"_handle_{snake_case(event_class_name[: -len(_EVENT_SUFFIX)])}")
    full = f"_handle_{snake_case(event_class_name)}"
    if full not in names:
        names.append(full)
    return tuple(names)
