"""Handler decorators and the global registry they record into; ``encrypted_event`` for PII."""

from lexigram.events.decorators.encryption import encrypted_event
from lexigram.events.decorators.handlers import (
    add_clear_listener,
    clear_handler_registry,
    command_handler,
    declared_handler_info,
    event_handler,
    get_all_handlers,
    get_handler_info,
    handler_priority,
    idempotent,
    message_types_of,
    query_handler,
)

__all__ = [
    "add_clear_listener",
    "clear_handler_registry",
    "command_handler",
    "declared_handler_info",
    "encrypted_event",
    "event_handler",
    "get_all_handlers",
    "get_handler_info",
    "handler_priority",
    "idempotent",
    "message_types_of",
    "query_handler",
]
