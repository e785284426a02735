"""Message base classes: events, commands and queries, with their field machinery."""

from lexigram.contracts.messages.domain_event import DomainEvent
from lexigram.contracts.messages.ids import new_uuid, utc_now
from lexigram.contracts.messages.jsonable import to_jsonable
from lexigram.contracts.messages.message import Command, Message, MessageMetadata, Query
from lexigram.contracts.messages.model import MessageModel, message_fields, payload_fields
from lexigram.contracts.messages.registry import EventTypeRegistry, event_types

__all__ = [
    "Command",
    "DomainEvent",
    "EventTypeRegistry",
    "Message",
    "MessageMetadata",
    "MessageModel",
    "Query",
    "event_types",
    "message_fields",
    "new_uuid",
    "payload_fields",
    "to_jsonable",
    "utc_now",
]
