"""Hooks the event bus (and the event stores) fire, and the registry shape they are fired on.

Catalogue (the ``name`` given to ``call_action`` and its payload):

=================== ======================= ==================================================
name                payload                 when
=================== ======================= ==================================================
``event.published`` ``EventPublishedHook``  once for each event the bus accepted
``event.handled``   ``EventHandledHook``    once for each successful handler invocation
``event.stored``    ``EventStoredHook``     once for each event an event store persisted
=================== ======================= ==================================================

Type and handler names are fully qualified (``module.QualName``). A hook that raises is logged
(logger ``lexigram.events.bus``) and otherwise ignored: hooks observe, they never break delivery.
``event.published`` fires inside ``publish`` once the event is queued; an async hook that really
suspends may therefore see its event handled before it returns.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast

from lexigram.events.constants import BUS_LOGGER

__all__ = [
    "EVENT_HANDLED",
    "EVENT_PUBLISHED",
    "EVENT_STORED",
    "EventHandledHook",
    "EventPublishedHook",
    "EventStoredHook",
    "HookRegistryProtocol",
    "call_hook",
    "check_hook_registry",
]

logger = logging.getLogger(BUS_LOGGER)

EVENT_PUBLISHED: Final = "event.published"
"""Fired with ``EventPublishedHook`` when the event bus accepts an event."""
EVENT_HANDLED: Final = "event.handled"
"""Fired with ``EventHandledHook`` when a handler processed an event successfully."""
EVENT_STORED: Final = "event.stored"
"""Fired with ``EventStoredHook`` when an event store persisted an event."""


@dataclass(frozen=True, slots=True)
class EventPublishedHook:
    """Payload fired when an event is published onto the event bus."""

    event_type: str
    """Fully qualified type name of the event."""
    aggregate_id: Any = None
    """The event's ``aggregate_id`` (None when it has none)."""


@dataclass(frozen=True, slots=True)
class EventHandledHook:
    """Payload fired after an event handler successfully processed an event."""

    event_type: str
    """Fully qualified type name of the handled event."""
    handler: str
    """Qualified name of the handler class or function."""


@dataclass(frozen=True, slots=True)
class EventStoredHook:
    """Payload fired when an event is persisted to the event store."""

    event_type: str
    """Fully qualified type name of the stored event."""
    stream_id: str
    """Identifier of the event stream the event was written to."""


class HookRegistryProtocol(Protocol):
    """Anything with ``call_action(name, payload=...)``; it may be sync or async."""

    def call_action(self, name: str, payload: Any = None) -> Any:
        """Run the actions registered under ``name`` (may return an awaitable)."""
        ...


def check_hook_registry(hooks: Any) -> HookRegistryProtocol | None:
    """Return ``hooks`` when it has a callable ``call_action`` (or is None); raise ``TypeError`` otherwise."""
    if hooks is not None and not callable(getattr(hooks, "call_action", None)):
        raise TypeError(f"a hook registry needs a call_action(name, payload=...) method; got {hooks!r}")
    return cast(HookRegistryProtocol | None, hooks)


async def call_hook(hooks: HookRegistryProtocol, name: str, payload: Any) -> None:
    """Fire one hook; a failure is logged and swallowed."""
    try:
        result = hooks.call_action(name, payload=payload)
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.exception("the %r hook failed; the event bus carries on", name)
