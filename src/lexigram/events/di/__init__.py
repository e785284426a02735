"""The events subsystem's lifecycle provider (``EventsProvider``) and its sub-providers."""

from lexigram.events.di.buses import BusSubProvider
from lexigram.events.di.handlers import SCOPED_HANDLERS, HandlerSubProvider
from lexigram.events.di.provider import EventsProvider
from lexigram.events.di.stores import STORE_FACTORIES, StorePair, StoreSubProvider
from lexigram.events.di.sub_provider import EventsSubProvider

__all__ = [
    "SCOPED_HANDLERS",
    "STORE_FACTORIES",
    "BusSubProvider",
    "EventsProvider",
    "EventsSubProvider",
    "HandlerSubProvider",
    "StorePair",
    "StoreSubProvider",
]
