"""Message classes: events, commands and queries."""

from lexigram.events.messages.command import Command, IdempotentCommand
from lexigram.events.messages.event import DomainEvent, Event, IntegrationEvent
from lexigram.events.messages.message import Message, MessageMetadata
from lexigram.events.messages.query import PagedResult, PaginatedQuery, Query

__all__ = [
    "Command",
    "DomainEvent",
    "Event",
    "IdempotentCommand",
    "IntegrationEvent",
    "Message",
    "MessageMetadata",
    "PagedResult",
    "PaginatedQuery",
    "Query",
]
