"""Package-internal extension protocols (defined in ``lexigram.contracts.events``)."""

from lexigram.contracts.events import EventFilterProtocol, EventSerializerProtocol

__all__ = ["EventFilterProtocol", "EventSerializerProtocol"]
