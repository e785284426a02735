"""The three buses: commands, queries and events, with dead letters and hooks.

``CommandBusImpl`` and ``QueryBusImpl`` route each message to its one handler; ``EventBusImpl``
publishes events to every subscribed handler in the background. All three run middleware
(``lexigram.events.middleware``) around their handlers.
"""

from lexigram.contracts.events.dead_letters import DeadLetterEntry, DeadLetterStoreProtocol
from lexigram.events.buses.command import CommandBus, CommandBusImpl
from lexigram.events.buses.dead_letters import InMemoryDeadLetterStore
from lexigram.events.buses.delivery import ParallelProtocol
from lexigram.events.buses.event import EventBus, EventBusImpl
from lexigram.events.buses.hooks import (
    EVENT_HANDLED,
    EVENT_PUBLISHED,
    EVENT_STORED,
    EventHandledHook,
    EventPublishedHook,
    EventStoredHook,
    HookRegistryProtocol,
)
from lexigram.events.buses.query import QueryBus, QueryBusImpl
from lexigram.events.buses.tracing import TracerProtocol

__all__ = [
    "EVENT_HANDLED",
    "EVENT_PUBLISHED",
    "EVENT_STORED",
    "CommandBus",
    "CommandBusImpl",
    "DeadLetterEntry",
    "DeadLetterStoreProtocol",
    "EventBus",
    "EventBusImpl",
    "EventHandledHook",
    "EventPublishedHook",
    "EventStoredHook",
    "HookRegistryProtocol",
    "InMemoryDeadLetterStore",
    "ParallelProtocol",
    "QueryBus",
    "QueryBusImpl",
    "TracerProtocol",
]
