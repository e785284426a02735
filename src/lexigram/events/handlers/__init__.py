"""Handler discovery and registration: ``HandlerRegistry``."""

from lexigram.events.handlers.inspection import HandlerKind, HandlerSpec, handler_spec
from lexigram.events.handlers.registry import HandlerRegistry

__all__ = ["HandlerKind", "HandlerRegistry", "HandlerSpec", "handler_spec"]
